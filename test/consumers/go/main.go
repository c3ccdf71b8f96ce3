// A Go CDK app that uses cdk-ecr-scan-reporter as a Go user would.
//
// test/consumers/run.sh builds the Go package (npx projen package:go, into dist/go), runs this
// app with `go run .` (go.mod replaces the package's module path by that folder; CDK_OUTDIR names
// the output folder) and checks the template with test/consumers/check-template.ts. The Python and
// Java apps pass the same props.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-ecr-scan-reporter/cdk-ecr-scan-reporter-go/cdkecrscanreporter"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("EcrScanReporterGo"), nil)

	// An existing topic, owned by another stack or team.
	alerts := awssns.Topic_FromTopicArn(stack, jsii.String("SecurityAlerts"), jsii.String("arn:aws:sns:eu-west-1:123456789012:security-alerts"))

	reporter := cdkecrscanreporter.NewEcrScanReporter(stack, jsii.String("ScanReporter"), &cdkecrscanreporter.EcrScanReporterProps{
		RepositoryPattern:    jsii.String("^team-a/"),
		ExcludePattern:       jsii.String("-sandbox$"),
		ScanExpiry:           awscdk.Duration_Days(jsii.Number(3)),
		Schedule:             awsevents.Schedule_Cron(&awsevents.CronOptions{Minute: jsii.String("30"), Hour: jsii.String("6")}),
		Thresholds:           &cdkecrscanreporter.SeverityThresholds{Critical: jsii.Number(1), High: jsii.Number(5), Medium: jsii.Number(20)},
		NotifyOnScanFailure:  jsii.Bool(false),
		Topic:                alerts,
		MaxFindingsPerReport: jsii.Number(50),
		RescanConcurrency:    jsii.Number(4),
		ImageConcurrency:     jsii.Number(8),
		MaxReceiveCount:      jsii.Number(5),
		LogRetention:         awslogs.RetentionDays_TWO_WEEKS,
		// Report only images that run, or were pulled in the last 30 days.
		ReportScope: cdkecrscanreporter.ImageScope_InUseOrPulledWithin(awscdk.Duration_Days(jsii.Number(30))),
		// The "team" tag of each repository names its owner.
		OwnerTagKey: jsii.String("team"),
		AcceptedRisks: &[]*cdkecrscanreporter.AcceptedRisk{{
			FindingId:         jsii.String("CVE-2023-44487"),
			Reason:            jsii.String("HTTP/2 is not exposed: the service sits behind an ALB"),
			Expires:           jsii.String("2030-06-30"),
			RepositoryPattern: jsii.String("^team-a/edge-"),
		}},
	})
	// Team A gets its own reports by email.
	reporter.AddOwnerSubscription(jsii.String("team-a"), awssnssubscriptions.NewEmailSubscription(jsii.String("team-a@example.com"), nil))

	app.Synth(nil)
}
