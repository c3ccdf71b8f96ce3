"""The local AWS emulator: moto's server, plus what moto does not offer over HTTP.

Run as `python server.py --port PORT` (loopback only). Everything under /moto-api/ is moto's own, and
every AWS API is moto's except where a point below says how the wrapper makes it answer as AWS does.
This wrapper adds, under /_emulator/ and in moto:

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

- Image formats and archived images (`_patch_ecr_formats`, whose docstring gives each source): DescribeImages
  carries imageStatus, artifactMediaType and subjectManifestDigest; an index's digest is its manifest's;
  StartImageScan refuses an index or a non-image artifact (UnsupportedImageTypeException) and an archived or
  restoring image (ImageArchivedException); UpdateImageStorageClass archives and restores (ACTIVATING for 20
  minutes on ECR's clock); DescribeImages lists only ACTIVE images unless `filter.imageStatus` says otherwise.
  ListImages still ignores `filter.imageStatus` (nothing here calls it). A BuildKit attestation manifest's scan
  FAILS. BatchGetImage finds images by digest, names a missing digest in its failure, returns
  imageManifestMediaType and records a pull (no pull-time update exclusions). The bulk image seed takes
  `lastRecordedPullTime`. BatchGetRepositoryScanningConfiguration applies the registry's rules as ECR does (the
  continuous filter over scan on push; a filter without `*` matches names that contain it), at the time of the call.

- A pushed tag moves. PutImage with a tag another image of the repository has moves the tag to the new image;
  moto deletes the old image when that tag was its last, ECR keeps it, untagged (where tasks started before
  still run it, and where lifecycle rules for untagged images find it).

- ECS as it runs tasks, for the in-use discovery (which digests run where). moto gives a task one container
  (its task definition's first), with no `imageDigest`; moves a task one state on every DescribeTasks (RUNNING,
  DEACTIVATING, ... STOPPED) though nothing stopped it; starts no task for a service (runningCount 0); and
  ignores maxResults. Here, with plain ECS calls:
  - A task has a container per container definition, RUNNING until StopTask stops it. The image of a
    container is pulled when the task starts: an image of this account and region's registry
    (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`, no tag meaning `latest`, or `REPO@sha256:...`) is
    resolved against the emulator's ECR and its digest reported as `imageDigest`; one this registry lacks
    stops the task at once (STOPPED, stopCode TaskFailedToStart, a CannotPullContainerError reason), as a
    failed pull does. An image of another registry (public.ecr.aws, Docker Hub, another account's ECR) runs
    with no `imageDigest`: ECS would report the digest it pulled, the emulator cannot know it.
  - CreateService starts desiredCount tasks at once, as ECS's service scheduler does: group
    `service:NAME`, startedBy the deployment id. The deployment pins each container's digest when it is
    made (ECS's container image resolution), so a task it starts later runs that digest even after the tag
    moved, unless the container definition sets versionConsistency "disabled". UpdateService with another
    task definition or forceNewDeployment makes a new deployment and replaces the tasks; a new desiredCount
    starts or stops tasks; DeleteService stops them; a service replaces a task StopTask stopped.
    runningCount counts its running tasks. A FARGATE service needs networkConfiguration (awsvpc), as in
    ECS; an EC2 one starts tasks only on registered container instances.
  - ListClusters and ListTasks page as ECS does (maxResults 1 to 100, default 100), ListServices too
    (default 10, INACTIVE services left out); ListTasks filters by desiredStatus (default RUNNING), exact
    cluster and serviceName. DescribeServices refuses more than 10 services, DescribeTasks more than 100
    tasks (InvalidParameterException, worded as ECS words them), and DescribeTasks answers the given
    cluster's tasks only, with a MISSING failure for the others.
  - RunTask no longer fails (HTTP 500) on a Fargate task definition whose memory is set for the task only,
    and awsvpcConfiguration.securityGroups is optional, as in ECS.

- Lambda image functions without Docker. moto looks no image up and reports a ResolvedImageUri made from a
  hash of the URI. Here Code.ImageUri must name an image of the emulator's ECR in the function's region,
  else CreateFunction / UpdateFunctionCode refuse it as Lambda does (InvalidParameterValueException "Source
  image ... is not valid. Provide a valid source image."); its tag is resolved when the code is set and
  GetFunction reports `Code.ResolvedImageUri` `HOST/REPO@sha256:...` (and CodeSha256 the digest's hex) until
  the next UpdateFunctionCode, whatever the tag points at since. ListFunctions pages (MaxItems 1 to 10,000, at
  most 50 functions per response, NextMarker passed back as Marker). As in Lambda, the function's role must
  exist in IAM (local/emulator/workloads.ts creates one with a plain IAM call).

- EventBridge patterns on arrays of objects (`_patch_events`). moto flattens an event's nested maps into dotted
  keys but not its arrays, so `{"detail": {"resources": {"type": ["AWS_ECR_CONTAINER_IMAGE"]}}}` (the Inspector
  finding rule's pattern) never matched an event whose `detail.resources` is a list of objects. EventBridge
  matches a pattern field against every object of such an array: the event matches when one object does
  (EventBridge User Guide, "Event patterns": matching values in arrays, and the `detail.resources` examples of the
  Amazon Inspector User Guide, "Amazon EventBridge event schema for Amazon Inspector events").
"""

import argparse
import base64
import copy
import hashlib
import io
import json
import os
import random
import re
import signal
import sys
import threading
import urllib.parse
import uuid
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


def _offset_page(key, items, max_results, token, *, default, maximum, bad_limit, bad_token, cap=None):
    """One page of `items` as AWS's list calls answer: at most `max_results` (1 to `maximum`, `default` when
    absent; never more than `cap` in one response), and an opaque token while more remain. Returns (page, token)."""
    if max_results is None:
        max_results = default
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= maximum:
        raise bad_limit(max_results)
    start = 0
    if token is not None:
        try:
            kind, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)
            start = int(offset)
            if kind != key or start < 0:
                raise ValueError(token)
        except ValueError:
            raise bad_token(token)
    end = start + min(max_results, cap or max_results)
    next_token = base64.urlsafe_b64encode(f"{key}:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], next_token


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
    # PutImage with a tag another image has moves the tag. moto does it with BatchDeleteImage, which deletes that
    # image when the tag was its last; in ECR the image stays, untagged, and a task or function running it still
    # runs it (lifecycle rules for untagged images exist for this).
    moving_tag = threading.local()
    original_put_image = models.ECRBackend.put_image

    def put_image(self, *args, **kwargs):
        moving_tag.active = True
        try:
            return original_put_image(self, *args, **kwargs)
        finally:
            moving_tag.active = False

    original_batch_delete_image = models.ECRBackend.batch_delete_image

    def batch_delete_image(self, repository_name, registry_id=None, image_ids=None):
        if not getattr(moving_tag, "active", False):
            return original_batch_delete_image(self, repository_name, registry_id, image_ids)
        for image_id in image_ids or []:
            for image in self.repositories[repository_name].images:
                if image_id.get("imageTag") in image.image_tags:
                    image.remove_tag(image_id["imageTag"])
                    if not image.image_tags:
                        image.image_tag = None
        return {"imageIds": [], "failures": []}

    models.ECRBackend.put_image = put_image
    models.ECRBackend.batch_delete_image = batch_delete_image

    def page(handler, key, items):
        max_results = handler._get_param("maxResults")
        items, token = _offset_page(
            key,
            items,
            max_results,
            handler._get_param("nextToken"),
            default=100,
            maximum=1000,
            bad_limit=lambda given: InvalidParameterException(
                f"Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000' (given {given})"
            ),
            bad_token=lambda _: InvalidParameterException("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'"),
        )
        result = {key: items}
        if token is not None:
            result["nextToken"] = token
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
        # Only ACTIVE images unless filter.imageStatus asks for others (see _patch_ecr_formats).
        wanted = ((self._get_param("filter") or {}).get("imageStatus") or "ACTIVE").upper()
        images = [
            image
            for image in self.ecr_backend.describe_images(self._get_param("repositoryName"), self._get_param("registryId"))
            if wanted == "ANY" or _image_status(image) == wanted
        ]
        # Page first, then copy: moto copies every image of the repository for each call.
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
    _patch_ecr_formats()
    _patch_dynamodb()
    _patch_ecs()
    _patch_lambda()
    _patch_events()


def _patch_events() -> None:
    """EventBridge's matching of a pattern against an array of objects (see the module docstring)."""
    from moto.events import models

    def matches(pattern_owner, node, pattern) -> bool:
        if not isinstance(pattern, dict):
            return False
        for key, wanted in pattern.items():
            if key == "$or":
                if not any(matches(pattern_owner, node, p) for p in wanted):
                    return False
                continue
            value = node.get(key, models.UNDEFINED) if isinstance(node, dict) else models.UNDEFINED
            if isinstance(wanted, dict):
                # A nested pattern: against the map, or against each object of an array (one must match).
                if isinstance(value, list):
                    if not any(isinstance(element, dict) and matches(pattern_owner, element, wanted) for element in value):
                        return False
                elif not matches(pattern_owner, value if isinstance(value, dict) else {}, wanted):
                    return False
            elif isinstance(wanted, list):
                # Filters (values, prefix, exists, ...): moto's own, on a value or an array of values.
                if not pattern_owner._does_item_match_filters(value, wanted):
                    return False
            else:
                return False
        return True

    def matches_event(self, event) -> bool:
        if not self._pattern:
            return True
        return matches(self, json.loads(json.dumps(event)), self._pattern)

    models.EventPattern.matches_event = matches_event


# -- Image formats and the archive storage class (ECR since 2025). --

# Manifest media types of an index: the OCI image spec (media-types.md) and Docker's manifest list (schema 2).
_INDEX_MEDIA_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
# The configuration media types of a container image, which ECR's scanners read.
_IMAGE_CONFIG_MEDIA_TYPES = ("application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json")
# "You can expect ECR to restore the image within 20 minutes" (ECR user guide, restoring an archived image): the
# emulator takes exactly that, on ECR's clock.
_RESTORE_SECONDS = 20 * 60


def _manifest_json(image) -> dict:
    """The image's manifest, parsed once: a manifest never changes (another one is another digest)."""
    parsed = getattr(image, "emulator_manifest", None)
    if parsed is None:
        try:
            parsed = json.loads(image.image_manifest)
        except ValueError:
            parsed = {}
        parsed = parsed if isinstance(parsed, dict) else {}
        image.emulator_manifest = parsed
    return parsed


def _is_attestation(image) -> bool:
    """A BuildKit attestation manifest: an image manifest whose every layer is an in-toto statement."""
    layers = _manifest_json(image).get("layers")
    return isinstance(layers, list) and len(layers) > 0 and all(isinstance(l, dict) and l.get("mediaType") == "application/vnd.in-toto+json" for l in layers)


def _image_status(image) -> str:
    """ImageDetail.imageStatus: ACTIVE, ARCHIVED or ACTIVATING; a restore completes 20 minutes on."""
    status = getattr(image, "emulator_status", "ACTIVE")
    if status == "ACTIVATING" and datetime.now(timezone.utc) + timedelta(seconds=_clock["offset"]) >= image.emulator_restore_due:
        # "Restored images behave like newly pushed images": the scan from before the archive is gone.
        image.emulator_status = status = "ACTIVE"
        image.last_scan = None
        image.scan_finding_results = {}
    return status


def _filter_matches(pattern: str, name: str) -> bool:
    """A registry scanning filter against a repository name (ECR user guide, filters to choose which repositories are
    scanned): "a filter with no wildcard will match all repository names that contain the filter. A filter with a
    wildcard (*) matches on any repository name where the wildcard replaces zero or more characters"."""
    if "*" not in pattern:
        return pattern in name
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name) is not None


def _applied_scanning(configuration: dict, repository) -> dict:
    """One repository's RepositoryScanningConfiguration under the registry's rules as they are now.

    moto applied the rules once, when they were put (a repository created later had none), let the last matching
    rule win, and anchored a wildcard filter at the start only. ECR: "where multiple filters match the same
    repository, then Amazon ECR enforces the continuous scanning filter over the scan on push filter"; a repository no
    filter matches has the manual frequency (basic) or scanning disabled (enhanced), both reported as scanFrequency
    MANUAL with no applied filter."""
    matched = []
    for rule in configuration.get("rules") or []:
        filters = [f for f in rule.get("repositoryFilters") or [] if _filter_matches(f.get("filter", ""), repository.name)]
        if filters:
            matched.append((rule.get("scanFrequency"), filters))
    precedence = {"CONTINUOUS_SCAN": 0, "SCAN_ON_PUSH": 1}
    matched.sort(key=lambda m: precedence.get(m[0], 2))
    frequency, filters = matched[0] if matched else ("MANUAL", [])
    return {
        "repositoryArn": repository.arn,
        "repositoryName": repository.name,
        "scanOnPush": frequency == "SCAN_ON_PUSH",
        "scanFrequency": frequency,
        "appliedScanFilters": [{"filter": f["filter"], "filterType": f.get("filterType", "WILDCARD")} for f in filters],
    }


def _patch_ecr_formats() -> None:
    """moto's ECR made to answer as ECR does for image indexes, referrers and archived images.

    - ImageDetail (DescribeImages) carries `imageStatus`, and `artifactMediaType` (the manifest's `artifactType`,
      else its config's media type; an index has none) and `subjectManifestDigest` (a referrer's `subject.digest`),
      as the API reference describes them. moto gave none of the three.
    - The digest of a manifest without layers (an index) is the sha256 of the manifest, as ECR's imageDigest is
      ("the sha256 digest of the image manifest"); moto drew a random one of 101. Manifests with layers keep
      moto's digest (of their layer digests), which every seeded registry and sample output relies on.
    - StartImageScan of an index answers UnsupportedImageTypeException, worded as ECR words it ("An artifact with
      media type 'application/vnd.oci.image.index.v1+json' cannot be scanned", a buildx push's public report,
      alexjurkiewicz/ecr-scan-image#43); of a non-image artifact (a config media type that is not an image
      configuration), the same with its type: the emulator's reading. Of an ARCHIVED or ACTIVATING image,
      ImageArchivedException (StartImageScan's errors, API reference).
    - StartImageScan of a BuildKit attestation manifest (every layer `application/vnd.in-toto+json`) is taken,
      and the scan FAILS: DescribeImageScanFindings answers status FAILED without findings, as ECR's console
      shows such scans (moby/buildkit#3499).
    - BatchGetImage finds images by digest in the digest index, answers a digest it lacks with a failure that
      names that digest (moto named an "imageTag" "null"), returns `imageManifestMediaType`, and records a pull
      (`lastRecordedPullTime`, on ECR's clock), as ECR counts BatchGetImage (containers-roadmap #2390).
      `acceptedMediaTypes` is not applied: ECR returns an index as pushed when the index types are accepted,
      and the callers here always accept them. Pull-time update exclusions are not modelled (CloudFormation
      registers them; the emulator runs none), so every BatchGetImage here counts as a pull.
    - UpdateImageStorageClass: ARCHIVE makes an image ARCHIVED (`lastArchivedAt`); STANDARD of an archived one
      makes it ACTIVATING (`lastActivatedAt`), ACTIVE 20 minutes later on ECR's clock, with no scan. DescribeImages
      without imageIds lists only ACTIVE images unless `filter.imageStatus` is ARCHIVED, ACTIVATING or ANY
      ("If not specified, only images with ACTIVE status are returned"); with imageIds it gives any status.
    """
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult
    from moto.ecr import models, responses
    from moto.ecr.exceptions import InvalidParameterException

    def service_error(code: str, message: str):
        return type(code, (ServiceException,), {"code": code})(message)

    original_create_digest = models.Image._create_digest

    def create_digest(self) -> None:
        if "layers" in _manifest_json(self):
            return original_create_digest(self)
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode("utf-8")).hexdigest()

    models.Image._create_digest = create_digest

    def artifact_media_type(self):
        manifest = _manifest_json(self)
        if manifest.get("artifactType"):
            return manifest["artifactType"]
        config = manifest.get("config")
        return config.get("mediaType") if isinstance(config, dict) else None

    def subject_manifest_digest(self):
        subject = _manifest_json(self).get("subject")
        return subject.get("digest") if isinstance(subject, dict) else None

    models.Image.artifact_media_type = property(artifact_media_type)
    models.Image.subject_manifest_digest = property(subject_manifest_digest)
    models.Image.image_status = property(_image_status)
    models.Image.last_archived_at = property(lambda self: getattr(self, "emulator_archived_at", None))
    models.Image.last_activated_at = property(lambda self: getattr(self, "emulator_activated_at", None))

    original_start_image_scan = models.ECRBackend.start_image_scan

    def start_image_scan(self, registry_id, repository_name, image_id):
        repository = self._get_repository(repository_name, registry_id)
        image = repository._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
        if _image_status(image) != "ACTIVE":
            raise service_error("ImageArchivedException", "The image is archived. Restore the image before scanning it.")
        unscannable = image.image_manifest_media_type if image.image_manifest_media_type in _INDEX_MEDIA_TYPES else None
        artifact = image.artifact_media_type
        if unscannable is None and artifact is not None and artifact not in _IMAGE_CONFIG_MEDIA_TYPES:
            unscannable = artifact
        if unscannable is not None:
            raise service_error(
                "UnsupportedImageTypeException",
                f"An artifact with media type '{unscannable}' cannot be scanned. For more information, see the Amazon ECR documentation.",
            )
        return original_start_image_scan(self, registry_id, repository_name, image_id)

    models.ECRBackend.start_image_scan = start_image_scan

    original_findings = responses.ECRResponse.describe_image_scan_findings

    def describe_image_scan_findings(self):
        result = original_findings(self)
        image_id = self._get_param("imageId") or {}
        repository = self.ecr_backend._get_repository(self._get_param("repositoryName"), self._get_param("registryId"))
        image = repository._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
        if not _is_attestation(image):
            return result
        # ECR takes the scan of a BuildKit attestation manifest and fails it (moby/buildkit#3499): its
        # in-toto layers are no file system. The description is the emulator's wording.
        body = dict(result.result)
        body["imageScanStatus"] = {"status": "FAILED", "description": "UnsupportedImageError: the image's layers are in-toto attestations, not a file system"}
        body.pop("imageScanFindings", None)
        return ActionResult(body)

    responses.ECRResponse.describe_image_scan_findings = describe_image_scan_findings

    def update_image_storage_class(self):
        repository = self.ecr_backend._get_repository(self._get_param("repositoryName"), self._get_param("registryId"))
        image_id = self._get_param("imageId") or {}
        image = repository._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
        target = self._get_param("targetStorageClass")
        now = datetime.now(timezone.utc) + timedelta(seconds=_clock["offset"])
        status = _image_status(image)
        if target == "ARCHIVE":
            if status == "ACTIVE":
                image.emulator_status = "ARCHIVED"
                image.emulator_archived_at = now
        elif target == "STANDARD":
            if status == "ARCHIVED":
                image.emulator_status = "ACTIVATING"
                image.emulator_activated_at = now
                image.emulator_restore_due = now + timedelta(seconds=_RESTORE_SECONDS)
        else:
            raise InvalidParameterException(
                f"Invalid parameter at 'targetStorageClass' failed to satisfy constraint: 'Member must satisfy enum value set: [STANDARD, ARCHIVE]' (given {target})"
            )
        return ActionResult(
            {
                "registryId": repository.registry_id,
                "repositoryName": repository.name,
                "imageId": {"imageDigest": image.get_image_digest()},
                "imageStatus": _image_status(image),
            }
        )

    responses.ECRResponse.update_image_storage_class = update_image_storage_class

    def batch_get_repository_scanning_configuration(self):
        names = self._get_param("repositoryNames") or []
        configuration = self.ecr_backend.registry_scanning_configuration or {}
        found, failures = [], []
        for name in names:
            repository = self.ecr_backend.repositories.get(name)
            if repository is None:
                failures.append({"repositoryName": name, "failureCode": "REPOSITORY_NOT_FOUND", "failureReason": "REPOSITORY_NOT_FOUND"})
            else:
                found.append(_applied_scanning(configuration, repository))
        return ActionResult({"scanningConfigurations": found, "failures": failures})

    responses.ECRResponse.batch_get_repository_scanning_configuration = batch_get_repository_scanning_configuration

    def batch_get_image(self):
        repository = self.ecr_backend._get_repository(self._get_param("repositoryName"), self._get_param("registryId"))
        now = datetime.now(timezone.utc) + timedelta(seconds=_clock["offset"])
        found, failures = [], []
        for image_id in self._get_param("imageIds") or []:
            digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
            if digest:
                image = (
                    repository.images.by_digest(digest)
                    if isinstance(repository.images, _IndexedImages)
                    else next((i for i in repository.images if i.get_image_digest() == digest), None)
                )
            else:
                image = next((i for i in repository.images if tag in (i.image_tags or [])), None)
            if image is None or (tag and digest and tag not in (image.image_tags or [])):
                failures.append({"imageId": dict(image_id), "failureCode": "ImageNotFound", "failureReason": "Requested image not found"})
                continue
            # A pull, as ECR counts BatchGetImage (containers-roadmap #2390). Pull-time update exclusions
            # are CloudFormation's (the construct registers the rescan role); the emulator runs none.
            image.last_recorded_pull_time = now
            found.append(
                {
                    "registryId": repository.registry_id,
                    "repositoryName": repository.name,
                    "imageId": {"imageDigest": image.get_image_digest(), **({"imageTag": tag} if tag else {})},
                    "imageManifest": image.image_manifest,
                    "imageManifestMediaType": image.image_manifest_media_type,
                }
            )
        return ActionResult({"images": found, "failures": failures})

    responses.ECRResponse.batch_get_image = batch_get_image


def _patch_dynamodb() -> None:
    """moto's DynamoDB made faster where the ledger made it the emulator's slowest part, without changing an answer.

    - Item reads and writes, and Scan pages, are answered as plain JSON: moto serializes every attribute value through
      botocore's shapes (2 to 3 ms per item of a BatchGetItem, which the ledger's walk sends for every 100 digests,
      and about 4 s per 1 MB Scan page of the summary's); the
      DynamoDB JSON protocol is that same dict as JSON. Anything that is not plain JSON (binary values) goes through
      moto's serializer as before.
    - The update-expression checks below run once per expression instead of once per node.

    And one behaviour moto lacks: a conditional write is atomic. DynamoDB evaluates a ConditionExpression and
    applies the write as one step ("Condition expressions", DynamoDB Developer Guide: conditional writes are
    idempotent and atomic per item), so two concurrent conditional ADDs can never both pass a condition only one of
    them may pass. moto's server answers requests on several threads and checks then writes, so concurrent
    requests could interleave between the two; here every item write (PutItem, UpdateItem, DeleteItem,
    TransactWriteItems) holds one lock while moto checks and writes.

    And items are sized as DynamoDB sizes them, and Scan's ConsumedCapacity follows the size of the items each page
    reads, as DynamoDB charges it (below).
    """
    from moto.dynamodb import responses as dynamodb_responses
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.parsing import validators

    write_lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def atomic(self, *args, _original=original, **kwargs):
            with write_lock:
                return _original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, atomic)

    # Two of moto's update-expression checks run at every nested node of the expression's tree, each over the whole
    # subtree below it: quadratic in the number of actions (a ledger write has nine). Both are checks of the whole
    # expression (at most one SET, ADD, REMOVE clause; no two actions on overlapping paths), so checking the root,
    # which holds every clause and action, raises the same errors.
    for check, method in ((validators.ActionCountValidator, "verify_action_counts"), (validators.OverlappingPathsValidator, "check_for_overlapping_paths")):
        def at_root(self, node, _method=method):
            return getattr(self, _method)(node) if isinstance(node, validators.UpdateExpression) else node

        check.traverse = at_root

    plain_operations = {"GetItem", "BatchGetItem", "UpdateItem", "PutItem", "DeleteItem", "Scan"}
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

    # Item sizes as DynamoDB counts them ("DynamoDB item sizes and formats", Developer Guide): a number is 1 byte
    # per two significant digits (leading and trailing zeros trimmed) plus 1; a List or Map is 3 bytes of overhead
    # plus its elements, each element 1 byte more (and a Map's element its name). moto counts a number as its
    # decimal string and gives lists and maps no overhead, so a ledger entry with finding ids and a place map came
    # out about 2 % small: a Scan page of moto's 1 MB held more than DynamoDB's 1 MB, and was charged less. The
    # size feeds moto's own 1 MB page limit of Scan and Query, its 400 KB item limit, and the units below.
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize

    def number_bytes(value) -> int:
        digits = str(value).lstrip("-").lower().split("e")[0].replace(".", "").lstrip("0").rstrip("0")
        return -(-max(1, len(digits)) // 2) + 1

    def size(self) -> int:
        if self.is_number():
            return number_bytes(self.value)
        if self.is_set():
            return sum(DynamoType({self.type[0]: v}).size() for v in self.value)
        if self.is_list():
            return 3 + sum(1 + v.size() for v in self.value)
        if self.is_map():
            return 3 + sum(1 + bytesize(k) + DynamoType(v).size() for k, v in self.value.items())
        if isinstance(self.value, bool) or self.type == "NULL":
            return 1
        return bytesize(self.value)

    DynamoType.size = size

    # Scan's ConsumedCapacity as DynamoDB counts it; moto gives a constant whatever the page read. DynamoDB sums
    # the sizes of the items a Scan page reads (whatever the projection), rounds up to the next 4 KB, and charges
    # 0.5 read units per 4 KB eventually consistent, 1 strongly consistent ("Read consumption for Scan", DynamoDB
    # Developer Guide). Item sizes as above. Not modelled: items a FilterExpression reads and drops (nothing here
    # scans with a filter).

    # The bytes a page read are summed over the whole items, before the projection: the table's scan runs without it
    # and projects after, as moto itself does at its end, and leaves the sum for the response below (same thread).
    from moto.dynamodb.models.table import Table

    page_bytes = threading.local()
    original_table_scan = Table.scan

    def table_scan(self, filters, limit, exclusive_start_key, filter_expression=None, index_name=None, consistent_read=False,
                   projection_expression=None, segments=(None, None)):
        results, scanned_count, last_evaluated_key = original_table_scan(
            self, filters, limit, exclusive_start_key, filter_expression, index_name, consistent_read, None, segments
        )
        page_bytes.value = sum(item.size() for item in results)
        if projection_expression:
            results = [item.project(projection_expression) for item in results]
        return results, scanned_count, last_evaluated_key

    Table.scan = table_scan
    original_scan = dynamodb_responses.DynamoHandler.scan

    def scan(self):
        page_bytes.value = None
        result = original_scan(self)
        body = result.result
        read = page_bytes.value
        if read is None or self.body.get("ReturnConsumedCapacity", "NONE") == "NONE" or self.body.get("IndexName") or "ConsumedCapacity" not in body:
            return result
        units = -(-read // 4096) * (1.0 if self.body.get("ConsistentRead") else 0.5)
        body["ConsumedCapacity"]["CapacityUnits"] = units
        if "Table" in body["ConsumedCapacity"]:
            body["ConsumedCapacity"]["Table"] = {"CapacityUnits": units}
        return result

    dynamodb_responses.DynamoHandler.scan = scan


# A container image in an Amazon ECR private registry: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG][@DIGEST].
_ECR_IMAGE = re.compile(
    r"^(?P<host>(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com)/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


def _ecr_digest(account: str, region: str, repository_name: str, tag, digest):
    """The digest `repository:tag` (no tag: `latest`) or `repository@digest` names in the emulator's ECR now; None if none."""
    from moto.ecr.models import ecr_backends

    repository = ecr_backends[account][region].repositories.get(repository_name)
    if repository is None:
        return None
    if digest:
        images = repository.images
        found = images.by_digest(digest) if isinstance(images, _IndexedImages) else next((i for i in images if i.get_image_digest() == digest), None)
        return digest if found is not None else None
    tag = tag or "latest"
    for image in repository.images:
        if tag in (image.image_tags or []):
            return image.get_image_digest()
    return None


def _resolve_image(image: str, account: str, region: str):
    """(digest, failure) for a container image as ECS pulls it: this registry's images resolve to the digest their
    tag names now, or fail to pull; another registry's image runs with no digest the emulator could know."""
    ref = _ECR_IMAGE.match(image or "")
    if not ref or ref["account"] != account or ref["region"] != region:
        return None, None
    digest = _ecr_digest(account, region, ref["repository"], ref["tag"], ref["digest"])
    if digest is None:
        return None, f"CannotPullContainerError: failed to resolve ref {image}: not found"
    return digest, None


# Set while the service scheduler starts a task: the digests its deployment pinned, per container name.
_scheduling = threading.local()


def _patch_ecs() -> None:
    """moto's ECS made to run tasks as ECS does, for the in-use discovery (see the module docstring)."""
    from moto.core.responses import ActionResult
    from moto.ecs import models, responses
    from moto.ecs.exceptions import InvalidParameterException

    def invalid_limit(given):
        return InvalidParameterException(f"maxResults must be between 1 and 100 (given {given}).")

    def invalid_token(_):
        return InvalidParameterException("Invalid nextToken.")

    def ecs_page(handler, key, items, default):
        # ListClusters, ListServices, ListTasks (ECS API reference, each one's maxResults): "This value can be
        # between 1 and 100. If this parameter isn't used, then ListX returns up to 100 results [ListServices: 10]
        # and a nextToken value if applicable."
        items, token = _offset_page(
            key, items, handler._get_param("maxResults"), handler._get_param("nextToken"),
            default=default, maximum=100, bad_limit=invalid_limit, bad_token=invalid_token,
        )
        return {key: items, **({"nextToken": token} if token else {})}

    # moto sums container-level memory to place a task and fails (HTTP 500) on a Fargate task definition, whose
    # memory is the task's own: a container without one counts 0 here.
    original_requirements = models.EC2ContainerServiceBackend._calculate_task_resource_requirements

    class _Definition:
        def __init__(self, definitions):
            self.container_definitions = definitions

    def requirements(task_definition):
        keys = ("memory", "Memory", "memoryReservation", "MemoryReservation")
        definitions = [
            d if any(d.get(k) is not None for k in keys) else {**d, "memory": 0} for d in task_definition.container_definitions
        ]
        return original_requirements(_Definition(definitions))

    models.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)

    # -- Tasks: every container of the task definition, each with the digest ECS resolved when it started. --
    models.Task.advance = lambda self: None  # describing a task does not age it (moto moves it a state per read)
    original_task_init = models.Task.__init__

    def task_init(self, cluster, task_definition, *args, **kwargs):
        network = kwargs.get("networking_configuration")
        if network and "awsvpcConfiguration" in network:
            network["awsvpcConfiguration"].setdefault("securityGroups", [])  # optional in ECS: the VPC's default group
        original_task_init(self, cluster, task_definition, *args, **kwargs)
        start_containers(self, task_definition, getattr(_scheduling, "images", None))

    models.Task.__init__ = task_init

    def start_containers(task, task_definition, pinned) -> None:
        # The Container data type (ECS API reference): imageDigest is "the container image manifest digest".
        now = datetime.now(timezone.utc)
        failure = None
        containers = []
        for definition in task_definition.container_definitions:
            name = definition.get("name")
            if pinned is not None and name in pinned:
                digest, reason = pinned[name]
            else:
                digest, reason = _resolve_image(definition.get("image"), task._account_id, task.region_name)
            failure = failure or reason
            container = {
                "containerArn": f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/{task.cluster_name}/{task.id}/{uuid.uuid4()}",
                "taskArn": task.task_arn,
                "name": name,
                "image": definition.get("image"),
                "runtimeId": f"{task.id}-{len(containers)}",
                "lastStatus": "RUNNING",
                "networkBindings": [],
                "networkInterfaces": [],
                "healthStatus": "UNKNOWN",
                "cpu": str(definition.get("cpu", 0)),
            }
            if digest:
                container["imageDigest"] = digest
            if reason:
                container["reason"] = reason
            if definition.get("memory") is not None:
                container["memory"] = str(definition["memory"])
            if definition.get("memoryReservation") is not None:
                container["memoryReservation"] = str(definition["memoryReservation"])
            containers.append(container)
        task.containers = containers
        task.created_at = now
        task.pull_started_at = now
        task.pull_stopped_at = now
        if failure:
            # A container that cannot be pulled stops its task before it runs.
            stop(task, failure, "TaskFailedToStart")
        else:
            task.started_at = now

    def stop(task, reason: str, code: str) -> None:
        now = datetime.now(timezone.utc)
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stopped_reason = reason
        task.stop_code = code
        task.stopping_at = now
        task.stopped_at = now
        task.execution_stopped_at = now
        for container in task.containers:
            container["lastStatus"] = "STOPPED"

    original_stop_task = models.EC2ContainerServiceBackend.stop_task

    def stop_task(self, cluster_str, task_str, reason):
        task = original_stop_task(self, cluster_str, task_str, reason)
        stop(task, reason or "Task stopped by user", "UserInitiated")
        service = getattr(task, "emulator_service", None)
        if service is not None and service.status == "ACTIVE":
            schedule(self, service)  # the service scheduler replaces a stopped task
        return task

    models.EC2ContainerServiceBackend.stop_task = stop_task

    # -- Services: the scheduler starts desiredCount tasks of the service's deployment and keeps them running. --
    def schedule(backend, service, new_deployment: bool = False) -> None:
        cluster = backend._get_cluster(service.cluster_name)
        tasks = backend.tasks.setdefault(cluster.name, {})
        state = getattr(service, "emulator_deployment", None)
        if service.task_definition and (new_deployment or state is None):
            task_definition = backend.describe_task_definition(service.task_definition)
            # "Amazon ECS resolves container image names and any image tags specified in the task definition to
            # container image digests. After the container image digest has been established, Amazon ECS uses the
            # digest to start any other desired tasks" (ECS API reference, ContainerImage). A container whose
            # versionConsistency is "disabled" is not pinned: each task resolves its tag when it starts.
            pinned = {
                d.get("name"): _resolve_image(d.get("image"), backend.account_id, backend.region_name)
                for d in task_definition.container_definitions
                if d.get("versionConsistency") != "disabled"
            }
            old_id = state["id"] if state else None
            deployment_id = service.deployments[0]["id"] if (state is None and service.deployments) else f"ecs-svc/{random.randint(0, 10**19)}"
            state = {"id": deployment_id, "taskDefinition": task_definition.arn, "images": pinned}
            service.emulator_deployment = state
            for task in list(tasks.values()):
                if getattr(task, "emulator_service", None) is service and task.desired_status == "RUNNING":
                    stop(task, f"Scaling activity initiated by (deployment {old_id or deployment_id})", "ServiceSchedulerInitiated")
        running = [t for t in tasks.values() if getattr(t, "emulator_service", None) is service and t.desired_status == "RUNNING"]
        desired = service.desired_count if service.status == "ACTIVE" and state else 0
        failed = 0
        if len(running) > desired:
            for task in running[desired:]:
                stop(task, f"Scaling activity initiated by (deployment {state['id']})", "ServiceSchedulerInitiated")
        elif len(running) < desired:
            task_definition = backend.describe_task_definition(state["taskDefinition"])
            requirements = None  # moto's resource accounting (container-level memory only) is not kept for these
            instances = []
            if service.launch_type != "FARGATE":
                instances = [i.container_instance_arn for i in backend.container_instances.get(cluster.name, {}).values() if i.status == "ACTIVE"]
            # EC2: tasks are placed on the cluster's container instances, and none start without one.
            for n in range(0 if service.launch_type != "FARGATE" and not instances else desired - len(running)):
                _scheduling.images = state["images"]
                try:
                    task = models.Task(
                        cluster, task_definition, instances[n % len(instances)] if instances else None, requirements,
                        backend=backend, group=f"service:{service.name}", launch_type=service.launch_type or "",
                        started_by=state["id"], networking_configuration=service.network_configuration or None,
                        platform_version=service.platform_version,
                    )
                finally:
                    _scheduling.images = None
                task.emulator_service = service
                tasks[task.task_arn] = task
                failed += task.desired_status != "RUNNING"
        running_count = sum(1 for t in tasks.values() if getattr(t, "emulator_service", None) is service and t.desired_status == "RUNNING")
        service.running_count = running_count
        service.pending_count = 0
        if service.deployments and state:
            deployment = service.deployments[0]
            deployment.update(
                id=state["id"], taskDefinition=state["taskDefinition"], desiredCount=service.desired_count,
                runningCount=running_count, pendingCount=0, failedTasks=deployment.get("failedTasks", 0) + failed,
                rolloutState="COMPLETED" if running_count >= service.desired_count else "IN_PROGRESS",
                updatedAt=datetime.now(timezone.utc),
            )
        cluster.running_tasks_count = sum(1 for t in tasks.values() if t.desired_status == "RUNNING")
        cluster.pending_tasks_count = 0

    original_create_service = models.EC2ContainerServiceBackend.create_service

    def create_service(self, cluster_str, service_name, desired_count, task_definition_str=None, *args, **kwargs):
        network = kwargs.get("network_configuration")
        if task_definition_str:
            task_definition = self.describe_task_definition(task_definition_str)
            if task_definition.network_mode == "awsvpc" and not network:
                raise InvalidParameterException("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
        if network and "awsvpcConfiguration" in network:
            network["awsvpcConfiguration"].setdefault("securityGroups", [])  # optional in ECS: the VPC's default group
        service = original_create_service(self, cluster_str, service_name, desired_count, task_definition_str, *args, **kwargs)
        schedule(self, service, new_deployment=True)
        return service

    models.EC2ContainerServiceBackend.create_service = create_service
    original_update_service = models.EC2ContainerServiceBackend.update_service

    def update_service(self, service_properties):
        cluster_str = service_properties.get("cluster", "default")
        name = service_properties.get("service", "").split("/")[-1]
        before = self._get_service(cluster_str, name).task_definition
        force = bool(service_properties.get("force_new_deployment"))
        requested = service_properties.get("task_definition")
        service = original_update_service(self, service_properties)
        if requested:
            service.task_definition = self.describe_task_definition(requested).arn  # moto keeps the string as given
        schedule(self, service, new_deployment=force or service.task_definition != before)
        return service

    models.EC2ContainerServiceBackend.update_service = update_service
    original_delete_service = models.EC2ContainerServiceBackend.delete_service

    def delete_service(self, cluster_name, service_name, force):
        service = original_delete_service(self, cluster_name, service_name, force)
        schedule(self, service)
        return service

    models.EC2ContainerServiceBackend.delete_service = delete_service

    # -- The read calls the discovery makes: real paging, ECS's batch limits and filters. --
    def list_clusters(self):
        return ActionResult(ecs_page(self, "clusterArns", [c.arn for c in self.ecs_backend.clusters.values()], 100))

    def list_services(self):
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        strategy, launch_type = self._get_param("schedulingStrategy"), self._get_param("launchType")
        arns = sorted(
            s.arn for s in backend.services.values()
            if s.cluster_name == cluster.name and s.status != "INACTIVE"
            and (strategy is None or s.scheduling_strategy == strategy) and (launch_type is None or s.launch_type == launch_type)
        )
        return ActionResult(ecs_page(self, "serviceArns", arns, 10))

    def list_tasks(self):
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        # "The default status filter is RUNNING" (ECS API reference, ListTasks desiredStatus).
        desired = self._get_param("desiredStatus") or "RUNNING"
        family, started_by = self._get_param("family"), self._get_param("startedBy")
        instance, launch_type = self._get_param("containerInstance"), self._get_param("launchType")
        service_name = self._get_param("serviceName")
        service = backend._get_service(cluster.name, service_name) if service_name else None
        arns = [
            t.task_arn for t in backend.tasks.get(cluster.name, {}).values()
            if t.desired_status == desired
            and (family is None or t.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] == family)
            and (started_by is None or t.started_by == started_by)
            and (instance is None or (t.container_instance_arn or "").split("/")[-1] == instance.split("/")[-1])
            and (launch_type is None or t.launch_type == launch_type)
            and (service is None or getattr(t, "emulator_service", None) is service)
        ]
        return ActionResult(ecs_page(self, "taskArns", arns, 100))

    original_describe_services = responses.EC2ContainerServiceResponse.describe_services

    def describe_services(self):
        # "You may specify up to 10 services to describe in a single operation" (DescribeServices); ECS words
        # the refusal "service names can have at most 10 items."
        if len(self._get_param("services") or []) > 10:
            raise InvalidParameterException("service names can have at most 10 items.")
        return original_describe_services(self)

    def describe_tasks(self):
        # "A list of up to 100 task IDs or full ARN entries" (DescribeTasks), in the cluster given; a task the
        # cluster does not have is a failure with reason MISSING.
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        wanted = self._get_param("tasks") or []
        if not wanted:
            raise InvalidParameterException("Tasks cannot be empty.")
        if len(wanted) > 100:
            raise InvalidParameterException("taskIds can have at most 100 items.")
        tasks = backend.tasks.get(cluster.name, {})
        by_id = {t.id: t for t in tasks.values()}
        found, failures, seen = [], [], set()
        for ref in wanted:
            task = tasks.get(ref) or by_id.get(ref.split("/")[-1])
            if task is None:
                arn = ref if ref.startswith("arn:") else f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:task/{cluster.name}/{ref}"
                failures.append({"arn": arn, "reason": "MISSING"})
            elif task.id not in seen:
                seen.add(task.id)
                found.append(task)
        if "TAGS" in (self._get_param("include") or []):
            self._include_in_response(responses.DESCRIBE_TASKS_TAGS)
        else:
            self._exclude_from_response(responses.DESCRIBE_TASKS_TAGS)
        return ActionResult({"tasks": found, "failures": failures})

    for name, method in (
        ("list_clusters", list_clusters), ("list_services", list_services), ("list_tasks", list_tasks),
        ("describe_services", describe_services), ("describe_tasks", describe_tasks),
    ):
        setattr(responses.EC2ContainerServiceResponse, name, method)


def _patch_lambda() -> None:
    """moto's Lambda: image functions resolved against the emulator's ECR, and ListFunctions paged."""
    from moto.awslambda import models, responses
    from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError

    original_set_code = models.LambdaFunction._set_function_code

    def set_function_code(self, updated_spec):
        from_update = updated_spec is not self.code
        if "ImageUri" not in updated_spec or self.package_type != "Image" or (from_update and updated_spec.get("DryRun")):
            return original_set_code(self, updated_spec)
        # "The Amazon ECR repository must be in the same AWS Region as the Lambda function" (Lambda developer
        # guide, Create a Lambda function using a container image). Lambda resolves the tag when the code is set
        # and runs that digest until the next UpdateFunctionCode; GetFunction reports it as Code.ResolvedImageUri
        # (FunctionCodeLocation). Lambda refuses an image it cannot find with this message.
        uri = updated_spec["ImageUri"]
        ref = _ECR_IMAGE.match(uri or "")
        digest = _ecr_digest(ref["account"], ref["region"], ref["repository"], ref["tag"], ref["digest"]) if ref and ref["region"] == self.region else None
        if digest is None:
            raise InvalidParameterValueException(f"Source image {uri} is not valid. Provide a valid source image.")
        self.code_sha_256 = digest.split(":", 1)[1]
        self.code_size = 0
        self.resolved_image_uri = f"{ref['host']}/{ref['repository']}@{digest}"
        if from_update:
            self.code["ImageUri"] = uri

    models.LambdaFunction._set_function_code = set_function_code
    original_get_code = models.LambdaFunction.get_code

    def get_code(self):
        result = original_get_code(self)
        resolved = getattr(self, "resolved_image_uri", None)
        if resolved and "Code" in result:
            result["Code"]["ResolvedImageUri"] = resolved
        return result

    models.LambdaFunction.get_code = get_code

    def list_functions(self):
        # ListFunctions (Lambda API reference): MaxItems 1 to 10,000, yet at most 50 functions per response;
        # NextMarker while more remain, passed back as Marker.
        query = self.querystring
        max_items = query.get("MaxItems", [None])[0]
        try:
            max_items = int(max_items) if max_items is not None else None
        except ValueError:
            pass
        functions, marker = _offset_page(
            "Functions", list(self.backend.list_functions(query.get("FunctionVersion", [None])[0])),
            max_items, query.get("Marker", [None])[0], default=50, maximum=10000, cap=50,
            bad_limit=lambda given: LambdaClientError(
                "ValidationException",
                f"1 validation error detected: Value '{given}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000",
            ),
            bad_token=lambda _: InvalidParameterValueException("Invalid Marker."),
        )
        body = {"Functions": [fn.get_configuration() for fn in functions]}
        if marker:
            body["NextMarker"] = marker
        return json.dumps(body)

    responses.LambdaResponse.list_functions = list_functions


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
    operation = params.get("Action", "")
    if not operation and service == "lambda":
        operation = _lambda_operation(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
    return service, operation, params


# Lambda's API is REST: the operation is the method and path (Lambda API reference, "Actions").
_LAMBDA_ROUTES = [
    ("GET", re.compile(r"^/2015-03-31/functions/?$"), "ListFunctions"),
    ("POST", re.compile(r"^/2015-03-31/functions/?$"), "CreateFunction"),
    ("GET", re.compile(r"^/2015-03-31/functions/[^/]+/?$"), "GetFunction"),
    ("GET", re.compile(r"^/2015-03-31/functions/[^/]+/configuration/?$"), "GetFunctionConfiguration"),
    ("PUT", re.compile(r"^/2015-03-31/functions/[^/]+/code/?$"), "UpdateFunctionCode"),
    ("POST", re.compile(r"^/2015-03-31/functions/[^/]+/invocations/?$"), "Invoke"),
    ("DELETE", re.compile(r"^/2015-03-31/functions/[^/]+/?$"), "DeleteFunction"),
]


def _lambda_operation(method: str, path: str) -> str:
    for route_method, pattern, name in _LAMBDA_ROUTES:
        if method == route_method and pattern.match(path):
            return name
    return ""


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
        if spec.get("lastRecordedPullTime"):
            image.last_recorded_pull_time = datetime.fromisoformat(spec["lastRecordedPullTime"].replace("Z", "+00:00"))
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
