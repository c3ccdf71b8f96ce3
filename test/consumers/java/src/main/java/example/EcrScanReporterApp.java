package example;

// A Java CDK app that uses cdk-ecr-scan-reporter as a Java user would. test/consumers/run.sh
// compiles and runs it against the jar built by `npx projen package:java` and checks the
// template with test/consumers/check-template.ts. The Python app in ../python passes the
// same props; README.md quotes the part between the README markers.

// README example start
import software.amazon.awscdk.App;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.events.CronOptions;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.sns.ITopic;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;

import java.util.List;

import io.github.cdk_ecr_scan_reporter.AcceptedRisk;
import io.github.cdk_ecr_scan_reporter.EcrScanReporter;
import io.github.cdk_ecr_scan_reporter.ImageScope;
import io.github.cdk_ecr_scan_reporter.SeverityThresholds;

public final class EcrScanReporterApp {
    public static void main(final String[] args) {
        App app = new App();
        Stack stack = new Stack(app, "EcrScanReporterJava");

        // An existing topic, owned by another stack or team.
        ITopic alerts = Topic.fromTopicArn(stack, "SecurityAlerts",
                "arn:aws:sns:eu-west-1:123456789012:security-alerts");

        EcrScanReporter reporter = EcrScanReporter.Builder.create(stack, "ScanReporter")
                .repositoryPattern("^team-a/")
                .excludePattern("-sandbox$")
                .scanExpiry(Duration.days(3))
                .schedule(Schedule.cron(CronOptions.builder().minute("30").hour("6").build()))
                .thresholds(SeverityThresholds.builder().critical(1).high(5).medium(20).build())
                .notifyOnScanFailure(false)
                .topic(alerts)
                .maxFindingsPerReport(50)
                .rescanConcurrency(4)
                .imageConcurrency(8)
                .maxReceiveCount(5)
                .logRetention(RetentionDays.TWO_WEEKS)
                // Report only images that run, or were pulled in the last 30 days.
                .reportScope(ImageScope.inUseOrPulledWithin(Duration.days(30)))
                // The "team" tag of each repository names its owner.
                .ownerTagKey("team")
                .acceptedRisks(List.of(AcceptedRisk.builder()
                        .findingId("CVE-2023-44487")
                        .reason("HTTP/2 is not exposed: the service sits behind an ALB")
                        .expires("2030-06-30")
                        .repositoryPattern("^team-a/edge-")
                        .build()))
                .build();
        // Team A gets its own reports by email.
        reporter.addOwnerSubscription("team-a", new EmailSubscription("team-a@example.com"));

        app.synth();
    }
}
// README example end
