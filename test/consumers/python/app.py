"""A Python CDK app that uses cdk-ecr-scan-reporter as a Python user would.

test/consumers/run.sh installs the built wheel into a virtual environment,
runs this file (CDK_OUTDIR names the output folder) and checks the template
with test/consumers/check-template.ts. The Java app in ../java passes the
same props; README.md quotes the part between the README markers.
"""
# README example start
from aws_cdk import App, Duration, Stack, aws_events as events, aws_logs as logs, aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from cdk_ecr_scan_reporter import AcceptedRisk, EcrScanReporter, ImageScope, SeverityThresholds

app = App()
stack = Stack(app, "EcrScanReporterPython")

# An existing topic, owned by another stack or team.
alerts = sns.Topic.from_topic_arn(
    stack, "SecurityAlerts", "arn:aws:sns:eu-west-1:123456789012:security-alerts"
)

reporter = EcrScanReporter(stack, "ScanReporter",
    repository_pattern="^team-a/",
    exclude_pattern="-sandbox$",
    scan_expiry=Duration.days(3),
    schedule=events.Schedule.cron(minute="30", hour="6"),
    thresholds=SeverityThresholds(critical=1, high=5, medium=20),
    notify_on_scan_failure=False,
    topic=alerts,
    max_findings_per_report=50,
    rescan_concurrency=4,
    image_concurrency=8,
    max_receive_count=5,
    log_retention=logs.RetentionDays.TWO_WEEKS,
    # Report only images that run, or were pulled in the last 30 days.
    report_scope=ImageScope.in_use_or_pulled_within(Duration.days(30)),
    # The "team" tag of each repository names its owner.
    owner_tag_key="team",
    accepted_risks=[AcceptedRisk(
        finding_id="CVE-2023-44487",
        reason="HTTP/2 is not exposed: the service sits behind an ALB",
        expires="2030-06-30",
        repository_pattern="^team-a/edge-",
    )],
)
# Team A gets its own reports by email.
reporter.add_owner_subscription("team-a", subscriptions.EmailSubscription("team-a@example.com"))

app.synth()
# README example end
