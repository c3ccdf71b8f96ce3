"""The local AWS emulator: moto's server, plus two things moto does not offer over HTTP.

Run as `python server.py --port PORT` (loopback only). Everything under /moto-api/ and every
AWS API is moto's own, untouched. This wrapper adds, under /_emulator/:

- A request log. Every AWS request the emulator answers is recorded with its operation
  (X-Amz-Target for JSON protocols, Action for query protocols), its JSON or form parameters
  and the HTTP status it got. Tests and the benchmark count calls here, at the HTTP level,
  instead of trusting either side's logs. `GET /_emulator/requests` returns the log,
  `POST /_emulator/requests/reset` clears it; `POST /moto-api/reset` clears it too.

- A seed for an image's last scan. moto keeps one `last_scan` per image, set only by
  StartImageScan to "now", and refuses a second StartImageScan on the same calendar day.
  Real ECR images were scanned days ago; `POST /_emulator/ecr/image-scan` with
  {"repositoryName", "imageDigest", "lastScan": ISO-8601 or null, "findings": a full
  DescribeImageScanFindings response or absent} sets it, so an image can be "scanned ten
  days ago" (due, and allowed to scan again today) or "scanned today" (refused), with the
  findings ECR would return for it. (moto's own /moto-api/static/ecr/scan-finding-results
  matches a result without a tag to any untagged image of the repository, so with several
  images it hands results to the wrong image; this seed is keyed by digest alone.) ECR scans
  only an image that exists, so a seeded scan earlier than the image's push moves the push
  back to 30 days before the scan (a test pushes its images now and seeds scans days ago; a
  registry's images are mostly rescans of images pushed long before).
  `GET /_emulator/ecr/last-scans` returns every image's last scan, for tests to read state.

- Real paging. moto returns every repository, image and finding in one response whatever
  maxResults says. DescribeRepositories, DescribeImages (without imageIds), ListImages and
  DescribeImageScanFindings (its findings or enhancedFindings) here answer
  as ECR does: at most maxResults items (1 to 1000, default 100), and a nextToken while
  more remain; a bad maxResults or nextToken is an InvalidParameterException.

- Lambda's asynchronous Invoke. moto's Lambda would need Docker; this emulator has no Lambda,
  so `POST /2015-03-31/functions/NAME/invocations` (what the SDK sends) is answered 202 and
  recorded. `GET /_emulator/lambda/invocations` returns them (functionName, invocationType,
  payload) and clears the list, for the harness to run the function with each payload.

- A clock for ECR. The benchmark runs several simulated days in a few minutes; moto's ECR reads
  the time for StartImageScan's once-per-day rule and for a new scan's time.
  `POST /_emulator/clock` {"offsetSeconds": N} moves ECR's clock N seconds ahead of the real
  one (the handlers get the same offset in their own processes); `GET /_emulator/clock` returns
  it. `POST /moto-api/reset` sets it back to 0. Other services keep the real time: DynamoDB
  conditions compare the times the handlers write, never the server's.

- Scale. moto finds an image by a linear search, so a 20,000-image repository costs
  20,000 comparisons per lookup; images are indexed by digest here. PutImage also searches
  linearly, so `POST /_emulator/ecr/images` {"repositoryName", "images": [{"imageDigest",
  "tags", "pushedAt", "lastScan", "findings"}...]} adds images to an existing repository in
  bulk, each as PutImage would have made it (pushed 30 days before its last scan when no
  `pushedAt` is given). `POST /_emulator/ecr/repositories`
  {"repositoryNames": [...]} creates repositories in bulk, as CreateRepository with defaults.
"""

import argparse
import base64
import copy
import io
import json
import os
import re
import signal
import sys
import threading
import urllib.parse
from datetime import datetime, timedelta, timezone

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

ACCOUNT_ID = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")

_lock = threading.Lock()
_clock = {"offset": 0.0}  # seconds ECR's clock runs ahead of the real one
_requests: list[dict] = []
_invocations: list[dict] = []
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


class _IndexedImages(list):
    """A repository's image list that keeps a digest index, rebuilt after any change."""

    def _changed(self) -> None:
        self.index = None

    def by_digest(self, digest: str):
        if getattr(self, "index", None) is None:
            self.index = {image.get_image_digest(): image for image in self}
        return self.index.get(digest)

    def _mutator(name):  # noqa: N805
        def method(self, *args, **kwargs):
            self._changed()
            return getattr(list, name)(self, *args, **kwargs)

        return method

    for _name in ("append", "extend", "insert", "remove", "pop", "clear", "__delitem__", "__setitem__", "__iadd__"):
        locals()[_name] = _mutator(_name)
    del _name, _mutator


def _patch_moto() -> None:
    """Digest-indexed image lookup, real paging for the ECR list calls, and a faster router."""
    from moto import backends
    from moto.ecr import models, responses

    # moto lists its own package folder (about 175 stat calls) to route every request;
    # the folder does not change while the server runs.
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    # moto rebuilds a service's error table for every error it answers (a new factory each
    # time defeats its cache); the tables never change, so keep one per service.
    from moto.core import errors

    error_tables: dict = {}
    create_error_lut = errors.ErrorLookupFactory._create_error_lut

    def cached_error_lut(service_model):
        key = service_model.metadata.get("serviceId") or id(service_model)
        if key not in error_tables:
            error_tables[key] = create_error_lut(service_model)
        return error_tables[key]

    errors.ErrorLookupFactory._create_error_lut = staticmethod(cached_error_lut)
    # moto's SQS checks every message's visibility through datetime arithmetic several
    # times per request: 1,000 queued messages made a receive take seconds. The clock
    # read is the same, only cheaper.
    import time

    from moto.sqs import models as sqs_models

    unix_time_millis = sqs_models.unix_time_millis
    sqs_models.unix_time_millis = lambda dt=None: time.time() * 1000.0 if dt is None else unix_time_millis(dt)
    from moto.ecr.exceptions import ImageNotFoundException, InvalidParameterException

    original_init = models.Repository.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.images = _IndexedImages(self.images)

    models.Repository.__init__ = init

    class ShiftedDatetime(datetime):
        """moto's ECR clock, `_clock["offset"]` seconds ahead (the benchmark's simulated days)."""

        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(seconds=_clock["offset"])

        @classmethod
        def today(cls):
            return cls.now()

    models.datetime = ShiftedDatetime
    original_get_image = models.Repository._get_image

    def get_image(self, image_tag, image_digest):
        if image_digest and isinstance(self.images, _IndexedImages):
            image = self.images.by_digest(image_digest)
            if image is None or (image_tag and image_tag not in image.image_tags):
                raise ImageNotFoundException(
                    image_id=f"{{imageDigest:'{image_digest}', imageTag:'{image_tag or 'null'}'}}",
                    repository_name=self.name,
                    registry_id=self.registry_id,
                )
            return image
        return original_get_image(self, image_tag, image_digest)

    models.Repository._get_image = get_image

    def page(handler, key, items):
        max_results = handler._get_param("maxResults")
        token = handler._get_param("nextToken")
        if max_results is None:
            max_results = 100
        if not isinstance(max_results, int) or not 1 <= max_results <= 1000:
            raise InvalidParameterException(
                f"Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000' (given {max_results})"
            )
        start = 0
        if token is not None:
            try:
                kind, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)
                start = int(offset)
                if kind != key or start < 0:
                    raise ValueError(token)
            except ValueError:
                raise InvalidParameterException("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'")
        end = start + max_results
        result = {key: items[start:end]}
        if end < len(items):
            result["nextToken"] = base64.urlsafe_b64encode(f"{key}:{end}".encode()).decode()
        return result

    def paged(method_name, key, extra=None):
        original = getattr(responses.ECRResponse, method_name)

        def method(self):
            result = original(self)
            if extra and not extra(self):
                return result
            body = dict(result.result)
            body.update(page(self, key, list(body.get(key) or [])))
            return type(result)(body)

        setattr(responses.ECRResponse, method_name, method)

    paged("describe_repositories", "repositories", lambda r: not r._get_param("repositoryNames"))
    paged("list_images", "imageIds")
    original_describe_images = responses.ECRResponse.describe_images

    def describe_images(self):
        if self._get_param("imageIds"):
            return original_describe_images(self)
        # Page first, then copy: moto copies every image of the repository for each call.
        images = self.ecr_backend.describe_images(self._get_param("repositoryName"), self._get_param("registryId"))
        body = page(self, "imageDetails", images)
        details = []
        for image in body["imageDetails"]:
            detail = copy.copy(image)
            if not detail.image_tags:
                del detail.image_tags  # ECR leaves out an empty imageTags
            details.append(detail)
        body["imageDetails"] = details
        return responses.ActionResult(body)

    responses.ECRResponse.describe_images = describe_images
    original_findings = responses.ECRResponse.describe_image_scan_findings

    def describe_image_scan_findings(self):
        # Findings page too (maxResults 1 to 1000, default 100): the rescan function reads a
        # status with maxResults 1, the report function pages through the findings.
        result = original_findings(self)
        body = dict(result.result)
        findings = dict(body.get("imageScanFindings") or {})
        key = "enhancedFindings" if findings.get("enhancedFindings") else "findings"
        items = list(findings.get(key) or [])
        paged = page(self, key, items)
        if key in findings:
            findings[key] = paged[key]
        if "imageScanFindings" in body:
            body["imageScanFindings"] = findings
        body.pop("nextToken", None)
        if "nextToken" in paged:
            body["nextToken"] = paged["nextToken"]
        return responses.ActionResult(body)

    responses.ECRResponse.describe_image_scan_findings = describe_image_scan_findings
    _patch_dynamodb()


def _patch_dynamodb() -> None:
    """moto's DynamoDB made faster where the ledger made it the emulator's slowest part, without changing an answer.

    - Item reads and writes are answered as plain JSON: moto serializes every attribute value through botocore's
      shapes (2 to 3 ms per item of a BatchGetItem, which the ledger's walk sends for every 100 digests); the
      DynamoDB JSON protocol is that same dict as JSON. Anything that is not plain JSON (binary values) goes through
      moto's serializer as before.
    - The update-expression checks below run once per expression instead of once per node.
    """
    from moto.dynamodb import responses as dynamodb_responses
    from moto.dynamodb.parsing import validators

    # Two of moto's update-expression checks run at every nested node of the expression's tree, each over the whole
    # subtree below it: quadratic in the number of actions (a ledger write has nine). Both are checks of the whole
    # expression (at most one SET, ADD, REMOVE clause; no two actions on overlapping paths), so checking the root,
    # which holds every clause and action, raises the same errors.
    for check, method in ((validators.ActionCountValidator, "verify_action_counts"), (validators.OverlappingPathsValidator, "check_for_overlapping_paths")):
        def at_root(self, node, _method=method):
            return getattr(self, _method)(node) if isinstance(node, validators.UpdateExpression) else node

        check.traverse = at_root

    plain_operations = {"GetItem", "BatchGetItem", "UpdateItem", "PutItem", "DeleteItem"}
    execute_result = dynamodb_responses.DynamoResult.execute_result

    def plain_json(self, context):
        if context.operation_model.name in plain_operations:
            try:
                body = json.dumps(self.result)
            except (TypeError, ValueError):
                return execute_result(self, context)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return execute_result(self, context)

    dynamodb_responses.DynamoResult.execute_result = plain_json


def _json_response(start_response, status: str, body) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _read_body(environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    # moto reads the body again: hand it a fresh stream.
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _operation(environ, body: bytes) -> tuple[str, str, dict]:
    """(service, operation, parameters) of an AWS request, as far as the wire tells."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        prefix, _, operation = target.partition(".")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return prefix, operation, params if isinstance(params, dict) else {}
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
    form.update(urllib.parse.parse_qs(environ.get("QUERY_STRING", "")))
    params = {k: v[0] for k, v in form.items()}
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = ""
    if "Credential=" in auth:
        # Credential=AKID/20261127/us-east-1/sns/aws4_request
        parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        service = parts[3] if len(parts) > 3 else ""
    return service, params.get("Action", ""), params


def _ecr_image(repository_name: str, image_digest: str, region: str):
    from moto.ecr.models import ecr_backends

    repository = ecr_backends[ACCOUNT_ID][region]._get_repository(repository_name)
    return repository._get_image(None, image_digest)


# How long before a seeded scan its image was pushed, when the seed moves the push back.
PUSHED_BEFORE_SEEDED_SCAN_SECONDS = 30 * 86400


def _set_last_scan(image, last_scan, keep_push: bool = False) -> None:
    """Seeds an image's last scan (ISO-8601 or None); an image scanned before its push is pushed earlier."""
    scanned_at = datetime.fromisoformat(last_scan.replace("Z", "+00:00")) if last_scan else None
    # moto compares last_scan.date() with datetime.today().date(): keep it naive, in local time.
    image.last_scan = scanned_at.astimezone().replace(tzinfo=None) if scanned_at else None
    # ECR scans only an image that exists, unless the seed gives the push time itself.
    if scanned_at is not None and not keep_push and image.image_pushed_at > scanned_at.timestamp():
        image.image_pushed_at = int(scanned_at.timestamp()) - PUSHED_BEFORE_SEEDED_SCAN_SECONDS


def _seed_image_scan(environ, start_response) -> list[bytes]:
    body = json.loads(_read_body(environ) or b"{}")
    region = body.get("region", "us-east-1")
    image = _ecr_image(body["repositoryName"], body["imageDigest"], region)
    _set_last_scan(image, body.get("lastScan"))
    findings = body.get("findings")
    if findings is not None:
        # moto answers DescribeImageScanFindings from this dict, keyed by the request's imageId
        # as JSON; the handlers and the command-line tool always identify an image by digest.
        image.scan_finding_results[json.dumps({"imageDigest": body["imageDigest"]})] = findings
    return _json_response(start_response, "200 OK", {"ok": True})


def _seed_repositories(environ, start_response) -> list[bytes]:
    from moto.ecr.models import ecr_backends

    body = json.loads(_read_body(environ) or b"{}")
    backend = ecr_backends[ACCOUNT_ID][body.get("region", "us-east-1")]
    for name in body["repositoryNames"]:
        backend.create_repository(name, None, None, None, "MUTABLE", [])
    return _json_response(start_response, "200 OK", {"created": len(body["repositoryNames"])})


def _seed_images(environ, start_response) -> list[bytes]:
    from moto.ecr.models import Image, ecr_backends

    body = json.loads(_read_body(environ) or b"{}")
    region = body.get("region", "us-east-1")
    repository = ecr_backends[ACCOUNT_ID][region]._get_repository(body["repositoryName"])
    known = {image.get_image_digest() for image in repository.images}
    added = []
    for spec in body["images"]:
        digest = spec["imageDigest"]
        if digest in known:
            return _json_response(start_response, "409 Conflict", {"error": f"{digest} is already in {repository.name}"})
        known.add(digest)
        tags = list(spec.get("tags") or [])
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": digest},
                "layers": [],
            }
        )
        image = Image(ACCOUNT_ID, tags[0] if tags else None, manifest, repository.name,
                      "application/vnd.docker.distribution.manifest.v2+json", digest)
        image.image_tags = tags
        if spec.get("pushedAt"):
            image.image_pushed_at = int(datetime.fromisoformat(spec["pushedAt"].replace("Z", "+00:00")).timestamp())
        if spec.get("lastScan"):
            _set_last_scan(image, spec["lastScan"], keep_push=bool(spec.get("pushedAt")))
        if spec.get("findings") is not None:
            image.scan_finding_results[json.dumps({"imageDigest": digest})] = spec["findings"]
        added.append(image)
    repository.images.extend(added)
    return _json_response(start_response, "200 OK", {"added": len(added)})


def _last_scans(environ, start_response) -> list[bytes]:
    from moto.ecr.models import ecr_backends

    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    region = query.get("region", ["us-east-1"])[0]
    result = []
    for repository in ecr_backends[ACCOUNT_ID][region].repositories.values():
        for image in repository.images:
            last = image.last_scan
            result.append(
                {
                    "repositoryName": repository.name,
                    "imageDigest": image.get_image_digest(),
                    "lastScan": last.astimezone(timezone.utc).isoformat() if last else None,
                }
            )
    return _json_response(start_response, "200 OK", result)


def _invoke(environ, start_response, function_name: str) -> list[bytes]:
    body = _read_body(environ)
    invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        payload = body.decode("utf-8", "replace")
    entry = {"functionName": function_name, "invocationType": invocation_type, "payload": payload}
    with _lock:
        _requests.append({"service": "lambda", "operation": "Invoke", "params": entry, "status": 202})
        _invocations.append(entry)
    if invocation_type != "Event":
        return _json_response(start_response, "400 Bad Request", {"Type": "User", "message": "the emulator runs asynchronous invocations only"})
    start_response("202 Accepted", [("Content-Length", "0")])
    return [b""]


def application(main_app):
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_emulator/requests" and method == "GET":
            with _lock:
                return _json_response(start_response, "200 OK", list(_requests))
        if path == "/_emulator/requests/reset" and method == "POST":
            with _lock:
                _requests.clear()
            return _json_response(start_response, "200 OK", {"ok": True})
        if path == "/_emulator/ecr/image-scan" and method == "POST":
            return _seed_image_scan(environ, start_response)
        if path == "/_emulator/ecr/repositories" and method == "POST":
            return _seed_repositories(environ, start_response)
        if path == "/_emulator/ecr/images" and method == "POST":
            return _seed_images(environ, start_response)
        if path == "/_emulator/ecr/last-scans" and method == "GET":
            return _last_scans(environ, start_response)
        if path == "/_emulator/clock" and method == "POST":
            _clock["offset"] = float(json.loads(_read_body(environ) or b"{}").get("offsetSeconds", 0))
            return _json_response(start_response, "200 OK", {"offsetSeconds": _clock["offset"]})
        if path == "/_emulator/clock" and method == "GET":
            now = datetime.now(timezone.utc) + timedelta(seconds=_clock["offset"])
            return _json_response(start_response, "200 OK", {"offsetSeconds": _clock["offset"], "now": now.isoformat()})
        if path == "/_emulator/lambda/invocations" and method == "GET":
            with _lock:
                taken = list(_invocations)
                _invocations.clear()
            return _json_response(start_response, "200 OK", taken)
        invoke = _INVOKE_PATH.match(path)
        if invoke and method == "POST":
            return _invoke(environ, start_response, urllib.parse.unquote(invoke.group("name")))
        if path.startswith("/moto-api/"):
            if path == "/moto-api/reset":
                with _lock:
                    _requests.clear()
                    _invocations.clear()
                    _clock["offset"] = 0.0
            return main_app(environ, start_response)

        body = _read_body(environ)
        service, operation, params = _operation(environ, body)
        entry = {"service": service, "operation": operation, "params": params, "status": None}

        def recording_start_response(status, headers, exc_info=None):
            entry["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        response = main_app(environ, recording_start_response)
        with _lock:
            _requests.append(entry)
        return response

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    _patch_moto()
    main_app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, application(main_app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
