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

The queue is drained as the SQS event source would: batches of BENCH_SQS_BATCH records, the
batch deleted after the handler returns.

Patched, and nothing else (the tool's decision logic runs unmodified):
  * time.sleep, before botocore and the tool are imported (the tool does `from time import
    sleep`): a no-op that adds up the seconds it would have slept, per calling module, so the
    tool's own back-off (20, 30, 40 s per LimitExceededException) and botocore's retry back-off
    are reported apart.
  * random is seeded (BENCH_SEED), so botocore's back-off jitter is the same on every run.

ECR calls are not counted here: the parent reads them from the emulator's request log.
The tool's print() output is discarded. The result is written as JSON to BENCH_RESULT_FILE.
"""

import collections
import contextlib
import json
import os
import random
import resource
import sys
import time

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


def main():
    stage = os.environ.get("BENCH_STAGE")
    if stage not in ("repository", "images"):
        sys.exit(f"BENCH_STAGE is repository or images (given {stage})")
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
    else:
        outcome = run_images_function(sqs, devnull, selected)
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
