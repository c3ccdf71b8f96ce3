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
  images it hands results to the wrong image; this seed is keyed by digest alone.)
  `GET /_emulator/ecr/last-scans` returns every image's last scan, for tests to read state.
"""

import argparse
import io
import json
import os
import signal
import sys
import threading
import urllib.parse
from datetime import datetime, timezone

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

ACCOUNT_ID = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")

_lock = threading.Lock()
_requests: list[dict] = []


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


def _seed_image_scan(environ, start_response) -> list[bytes]:
    body = json.loads(_read_body(environ) or b"{}")
    region = body.get("region", "us-east-1")
    image = _ecr_image(body["repositoryName"], body["imageDigest"], region)
    last_scan = body.get("lastScan")
    # moto compares last_scan.date() with datetime.today().date(): keep it naive, in local time.
    image.last_scan = (
        datetime.fromisoformat(last_scan.replace("Z", "+00:00")).astimezone().replace(tzinfo=None) if last_scan else None
    )
    findings = body.get("findings")
    if findings is not None:
        # moto answers DescribeImageScanFindings from this dict, keyed by the request's imageId
        # as JSON; the handlers and the command-line tool always identify an image by digest.
        image.scan_finding_results[json.dumps({"imageDigest": body["imageDigest"]})] = findings
    return _json_response(start_response, "200 OK", {"ok": True})


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
        if path == "/_emulator/ecr/last-scans" and method == "GET":
            return _last_scans(environ, start_response)
        if path.startswith("/moto-api/"):
            if path == "/moto-api/reset":
                with _lock:
                    _requests.clear()
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
    main_app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, application(main_app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
