#!/usr/bin/env python3
"""The benchmark's child process for the Python tool: one stage of ecr-scan-reporter 0.4.8's daily cycle.

Runs with .bench/python-tool-venv's interpreter against the emulator the parent seeded
(AWS_ENDPOINT_URL, which botocore 1.44 honours for every client). It runs one of the tool's two
scan-cycle Lambda handlers in-process, as its SAM template deploys them, one process per
function as in Lambda:

  BENCH_STAGE=repository   scans_job_handler({}, None): the repository function (EventBridge
                           schedule): DescribeRepositories, one SQS message per repository
  BENCH_STAGE=images       repo_images_scanning_handler(event, None): the images function (SQS
                           event source, BatchSize 10): ListImages, DescribeImages, StartImageScan,
                           invoked until the queue is empty (a warm container)
  BENCH_STAGE=findings     findings_handler(event, None): the reporter function (EventBridge rule on
                           "ECR Image Scan"), once per event that the rule delivered to
                           BENCH_SCAN_EVENT_QUEUE_URL, with ECR_SNS_REPORT_TOPIC_ARN set; after each
                           event the subscriber queue (BENCH_SUBSCRIBER_QUEUE_URL) is drained, so
                           every notification is attributed to the event it was sent for. The
                           tool's FAILED handling raises (parse_scan_report returns a dict that
                           findings_handler indexes like a tuple): each error is recorded per event.

The queue is drained as the SQS event source would: batches of BENCH_SQS_BATCH records, the
batch deleted after the handler returns.

Patched, and nothing else (the tool's decision logic runs unmodified):
  * time.sleep, before botocore and the tool are imported (the tool does `from time import
    sleep`): a no-op that adds up the seconds it would have slept, per calling module, so the
    tool's own back-off (20, 30, 40 s per LimitExceededException) and botocore's retry back-off
    are reported apart.
  * random is seeded (BENCH_SEED), so botocore's back-off jitter is the same on every run.
  * the tool's clock, frozen at import in images_scanner.NOW, is moved BENCH_CLOCK_OFFSET_MS
    ahead: the benchmark's simulated day (ECR's clock in the emulator has the same offset).
  * findings stage only: the boto3 Session that findings_handler creates for each event is one
    shared Session. The tool still creates its SNS client and makes the same calls per event;
    the shared Session only spares reloading botocore's service models each time (about 150 ms
    an event, against 14 ms), which would make the stage most of the week's run time.

ECR calls are not counted here: the parent reads them from the emulator's request log.
The tool's print() output is discarded. The result is written as JSON to BENCH_RESULT_FILE.
"""

import collections
import contextlib
import datetime
import json
import os
import random
import resource
import sys
import time
import types

assert os.environ.get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL must point at the emulator"
QUEUE_URL = os.environ["IMAGES_SCAN_JOBS_QUEUE_URL"]
RESULT_FILE = os.environ["BENCH_RESULT_FILE"]
BATCH = int(os.environ.get("BENCH_SQS_BATCH", "10"))  # the SAM template's BatchSize
LAMBDA_TIMEOUT = 30  # the SAM template's Timeout for the images function, seconds
random.seed(int(os.environ.get("BENCH_SEED", "1")))

SLEPT = collections.defaultdict(float)  # calling module -> seconds it would have slept
SLEEP_CALLS = collections.Counter()


def fake_sleep(seconds):
    caller = sys._getframe(1).f_globals.get("__name__", "?")
    SLEPT[caller] += float(seconds)
    SLEEP_CALLS[caller] += 1


time.sleep = fake_sleep  # before botocore and the tool are imported

import boto3  # noqa: E402
import botocore  # noqa: E402

# The tool's clock (images_scanner.NOW) is frozen at import: the parent seeded the registry before
# starting this process, so every seeded push time is in its past, as on a real schedule.
import ecr_scan_reporter  # noqa: E402
from ecr_scan_reporter import images_scanner, lambda_functions  # noqa: E402

assert images_scanner.sleep is fake_sleep, "the tool's sleep is not patched"
# The simulated day: NOW is a naive UTC datetime (datetime.utcnow() at import).
CLOCK_OFFSET_MS = float(os.environ.get("BENCH_CLOCK_OFFSET_MS", "0") or 0)
images_scanner.NOW = images_scanner.NOW + datetime.timedelta(milliseconds=CLOCK_OFFSET_MS)


def tool_seconds():
    return sum(v for k, v in SLEPT.items() if k.startswith("ecr_scan_reporter"))


def sdk_seconds():
    return sum(v for k, v in SLEPT.items() if not k.startswith("ecr_scan_reporter"))


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_images_function(sqs, devnull, selected):
    invocation_seconds = []  # each images-function invocation, its would-be sleeps included
    errors = []
    while True:
        messages = sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=BATCH, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        event = {
            "Records": [
                {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                 "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"}
                for m in messages
            ]
        }
        slept_before, t = tool_seconds() + sdk_seconds(), time.perf_counter()
        try:
            with contextlib.redirect_stdout(devnull):
                lambda_functions.repo_images_scanning_handler(event, None)
        except Exception as error:  # Lambda would retry the batch; the bench records it and goes on
            errors.append(f"{type(error).__name__}: {error}")
        invocation_seconds.append(time.perf_counter() - t + tool_seconds() + sdk_seconds() - slept_before)
        sqs.delete_message_batch(
            QueueUrl=QUEUE_URL,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return {
        "invocations": len(invocation_seconds),
        "invocationErrors": errors,
        "idsSelected": selected[0],
        "invocationsOverTimeout": sum(1 for s in invocation_seconds if s > LAMBDA_TIMEOUT),
        "longestInvocationSeconds": max(invocation_seconds, default=0),
        "lambdaTimeoutSeconds": LAMBDA_TIMEOUT,
    }


def drain(sqs, queue_url):
    """Receives and deletes everything on a queue; returns the message bodies in order."""
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(m["Body"] for m in messages)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def run_findings_function(sqs, devnull):
    events_queue = os.environ["BENCH_SCAN_EVENT_QUEUE_URL"]
    subscriber = os.environ["BENCH_SUBSCRIBER_QUEUE_URL"]
    assert os.environ.get("ECR_SNS_REPORT_TOPIC_ARN"), "ECR_SNS_REPORT_TOPIC_ARN must name the topic"
    drain(sqs, subscriber)  # nothing from before counts
    shared = boto3.session.Session()
    lambda_functions.session = types.SimpleNamespace(Session=lambda *args, **kwargs: shared)
    events = []
    errors = collections.Counter()
    for body in drain(sqs, events_queue):
        event = json.loads(body)
        detail = event.get("detail", {})
        error = None
        try:
            with contextlib.redirect_stdout(devnull):
                lambda_functions.findings_handler(event, None)
        except Exception as exc:  # Lambda would retry the event twice; the bench records it and goes on
            error = f"{type(exc).__name__}: {exc}"[:200]
            errors[error] += 1
        # The SQS subscriber receives SNS's envelope; its Message is the "default" text.
        notifications = [json.loads(b).get("Message", "") for b in drain(sqs, subscriber)]
        events.append({
            "repositoryName": detail.get("repository-name"),
            "imageDigest": detail.get("image-digest"),
            "scanStatus": detail.get("scan-status"),
            "error": error,
            "notifications": notifications,
        })
    return {
        "events": events,
        "invocations": len(events),
        "errors": sum(errors.values()),
        "errorMessages": dict(errors),
        "thresholds": {k: os.environ.get(k) for k in ("CRITICAL", "HIGH", "MEDIUM", "LOW")},
    }


def main():
    stage = os.environ.get("BENCH_STAGE")
    if stage not in ("repository", "images", "findings"):
        sys.exit(f"BENCH_STAGE is repository, images or findings (given {stage})")
    selected = [0]
    original_define = images_scanner.define_images_to_scan

    def define_spy(*args, **kwargs):  # pass-through: counts the ids the tool selected
        out = original_define(*args, **kwargs)
        selected[0] += len(out)
        return out

    images_scanner.define_images_to_scan = define_spy
    sqs = boto3.session.Session().client("sqs")
    devnull = open(os.devnull, "w")
    cpu, started = cpu_seconds(), time.perf_counter()
    if stage == "repository":
        with contextlib.redirect_stdout(devnull):
            lambda_functions.scans_job_handler({}, None)
        outcome = {}
    elif stage == "images":
        outcome = run_images_function(sqs, devnull, selected)
    else:
        outcome = run_findings_function(sqs, devnull)
    wall = time.perf_counter() - started
    outcome.update({
        "toolVersion": ecr_scan_reporter.__version__,
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "python": sys.version.split()[0],
        "retryMode": os.environ.get("AWS_RETRY_MODE", "standard (botocore default)"),
        "sleptSeconds": {"tool": tool_seconds(), "sdk": sdk_seconds()},
        "sleepCalls": {"tool": sum(v for k, v in SLEEP_CALLS.items() if k.startswith("ecr_scan_reporter")),
                       "sdk": sum(v for k, v in SLEEP_CALLS.items() if not k.startswith("ecr_scan_reporter"))},
    })
    result = {
        "wallSeconds": wall,
        "cpuSeconds": cpu_seconds() - cpu,
        # KiB on Linux: the process's peak resident set (the tool, boto3 and, for images, the queue poller).
        "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "outcome": outcome,
    }
    with open(RESULT_FILE, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
