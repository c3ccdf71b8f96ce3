/**
 * The example app: `npx cdk synth` synthesizes it (the handlers are bundled first).
 * Deploy it with `npx cdk deploy` into an account whose ECR registry you want watched.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EcrScanReporter } from '../src';

const app = new App();
const stack = new Stack(app, 'EcrScanReporterExample', {
  description: 'cdk-ecr-scan-reporter example: rescans stale ECR images and reports findings',
});

new EcrScanReporter(stack, 'ScanReporter', {
  // Every repository except those under sandbox/.
  excludePattern: '^sandbox/',
  scanExpiry: Duration.days(7),
  thresholds: { critical: 1, high: 5 },
  emailSubscriptions: app.node.tryGetContext('email') ? [app.node.tryGetContext('email')] : [],
});

app.synth();
