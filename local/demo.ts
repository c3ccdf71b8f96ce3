/**
 * `npm run demo`: the whole service against the local AWS emulator, in under a minute, with
 * no AWS account. It seeds a small registry, prints the command-line plan, runs the daily
 * cycle (dispatch -> rescan queue -> rescan) with the handler bundles exactly as deployed,
 * simulates ECR finishing the scans, runs the report handler on the events, and prints the
 * notifications as a subscriber receives them. Then it stops the emulator.
 *
 * The handlers are configured from the construct's synthesized template (local/service.ts)
 * with the props below, so what runs here is what `new EcrScanReporter(...)` would deploy.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { runCli } from './cli-process';
import { Emulator } from './emulator/emulator';
import { closeWorkloadClients, imageUri, runEcsService } from './emulator/workloads';
import { deliverScanEvents, lambdaContext, loadHandlers, receiveNotifications, runDiscovery, runQueue } from './pipeline';
import { SeedScan, scanFindingsResponse } from './registry';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS } from './sample-registry';
import { deployService } from './service';
import type { EcrScanReporterProps } from '../src';
import { summaryMarkdown } from '../src/decisions/summary-message';

const PROPS: EcrScanReporterProps = {
  repositoryPattern: SAMPLE_SETTINGS.repositoryPattern,
  excludePattern: SAMPLE_SETTINGS.excludePattern,
  scanExpiry: Duration.days(SAMPLE_SETTINGS.scanExpiryDays),
  maxFindingsPerReport: 5,
  // Reports name their owner: every shop/ repository belongs to one team.
  repositoryOwners: [{ repositoryPattern: '^shop/', owner: 'team-shop' }],
};

/** What ECR finds when the scans the cycle started complete (by repository:tag, or repository@untagged). */
const SCAN_RESULTS: Record<string, Exclude<SeedScan, { kind: 'never' }>> = {
  'shop/web:v1.4.2': { kind: 'complete', daysAgo: 0, severityCounts: { CRITICAL: 1, HIGH: 2, MEDIUM: 3 } },
  'shop/web:v1.3.0': { kind: 'complete', daysAgo: 0, severityCounts: { CRITICAL: 1, HIGH: 3, MEDIUM: 7, LOW: 2 } },
  'shop/web@untagged': { kind: 'complete', daysAgo: 0, severityCounts: { MEDIUM: 4, LOW: 2 } },
  'shop/api:2026.11.20': { kind: 'status', status: 'FAILED', description: 'Unable to retrieve the image layers.', daysAgo: 0 },
  'shop/worker:main': { kind: 'complete', daysAgo: 0, severityCounts: {} },
};

const out = (line = '') => process.stdout.write(`${line}\n`);
const heading = (text: string) => out(`\n== ${text}\n`);
const ref = (image: { repositoryName: string; imageTags: readonly string[] }) =>
  image.imageTags.length > 0 ? `${image.repositoryName}:${image.imageTags[0]}` : `${image.repositoryName}@untagged`;

async function main(): Promise<void> {
  const started = Date.now();
  // Quiet handlers: the demo prints what a user reads. DEMO_LOG_LEVEL=INFO shows their JSON logs and metric lines.
  process.env.POWERTOOLS_LOG_LEVEL = process.env.DEMO_LOG_LEVEL ?? 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = process.env.DEMO_LOG_LEVEL ? 'false' : 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  out('cdk-ecr-scan-reporter demo: the whole flow against a local AWS emulator (moto server), no AWS account needed.');

  const emulator = await Emulator.start();
  try {
    Object.assign(process.env, emulator.environment());
    const now = new Date();
    const ecr = new ECRClient(emulator.clientConfig());
    const sqs = new SQSClient(emulator.clientConfig());

    // 1. The registry and the service.
    const { config, infrastructure, seeded, environment } = await deployService(emulator, ecr, PROPS, SAMPLE_REGISTRY, now);
    Object.assign(process.env, environment);
    process.env.POWERTOOLS_LOG_LEVEL = process.env.DEMO_LOG_LEVEL ?? 'SILENT';
    heading(`1. A registry of ${SAMPLE_REGISTRY.length} repositories and ${seeded.length} images, in the emulator at ${emulator.endpoint}`);
    for (const repository of SAMPLE_REGISTRY) {
      out(`   ${repository.name.padEnd(18)} ${repository.images.length} image(s)${repository.selected ? '' : '   (outside the patterns)'}`);
    }

    // 2. The plan, from the command-line tool.
    // A value starting with "-" is written --flag=value, as with most command-line parsers.
    const planArgs = ['plan', `--repository-pattern=${SAMPLE_SETTINGS.repositoryPattern}`, `--exclude-pattern=${SAMPLE_SETTINGS.excludePattern}`];
    heading(`2. The plan: ecr-scan-reporter ${planArgs.map((a) => (/[\s^$]/.test(a) ? `'${a}'` : a)).join(' ')}`);
    // Asynchronously (local/cli-process.ts says why): the emulator in this process must keep being served.
    const plan = await runCli(planArgs, process.env);
    if (plan.code !== 0) throw new Error(`ecr-scan-reporter plan failed (exit ${plan.code}):\n${plan.stderr}`);
    process.stdout.write(plan.stdout);

    // 3. The daily cycle, with the in-use discovery beside dispatch: shop/web:v1.4.2 runs in an ECS service.
    heading('3. The daily cycle: schedule -> discover (where images run) and dispatch -> rescan queue -> rescan -> StartImageScan');
    const web = seeded.find((i) => ref(i) === 'shop/web:v1.4.2')!;
    await runEcsService(emulator.endpoint, { cluster: 'shop', service: 'web', tasks: 2, image: imageUri(web.repositoryName, web.imageDigest) });
    const handlers = loadHandlers();
    const [discovered] = await runDiscovery(emulator, handlers.discover);
    out(`   discover: ${discovered.tasks} ECS task(s) and ${discovered.functions} Lambda function(s) read; ${discovered.inUseDigests} digest(s) running (shop/web:v1.4.2 in ECS service web, cluster shop)`);
    await emulator.resetRequests();
    const dispatched = await handlers.dispatch({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('dispatch'));
    out(`   dispatch: ${dispatched.repositoriesListed} repositories listed, ${dispatched.repositoriesSelected} selected, ${dispatched.messagesSent} messages queued`);
    const run = await runQueue(sqs, infrastructure.rescanQueueUrl, infrastructure.rescanQueueArn, handlers.rescan, { batchSize: config.batchSize });
    out(`   rescan:   ${run.recordsDelivered} messages in ${run.invocations} invocation(s), ${run.recordsFailed} failed`);
    // In the registry's order, not the order of arrival (the rescan sends imageConcurrency calls at once), so
    // every run of the demo prints the same lines in sections 3, 4 and 6.
    const seededIndex = (digest: string) => seeded.findIndex((i) => i.imageDigest === digest);
    const scans = (await emulator.requests())
      .filter((r) => r.operation === 'StartImageScan')
      .sort((a, b) => seededIndex(a.params.imageId.imageDigest) - seededIndex(b.params.imageId.imageDigest));
    out('   StartImageScan, as the emulator saw it (in the registry\'s order):');
    const startedImages = [];
    for (const call of scans) {
      const image = seeded.find((i) => i.imageDigest === call.params.imageId.imageDigest)!;
      const answer = call.status === 200 ? 'started' : 'refused: LimitExceededException, scanned in the last 24 hours';
      out(`     ${ref(image).padEnd(24)} ${image.imageDigest.slice(0, 19)}  ${answer}`);
      if (call.status === 200) startedImages.push(image);
    }

    // 4. ECR finishes the scans and sends its events.
    heading('4. ECR finishes the scans: "ECR Image Scan" events -> rule -> report (which records each in the ledger)');
    const eventBridge = new EventBridgeClient(emulator.clientConfig());
    /** ECR finishes a scan of `image` with `response` (a DescribeImageScanFindings answer) and sends its event. */
    const finishScan = async (image: (typeof seeded)[number], response: Record<string, any>) => {
      const completedAt = new Date();
      const findings = response.imageScanFindings;
      if (findings) findings.imageScanCompletedAt = completedAt.getTime() / 1000;
      await emulator.seedImageScan(image.repositoryName, image.imageDigest, completedAt, response);
      await eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'aws.ecr',
              DetailType: 'ECR Image Scan',
              Detail: JSON.stringify({
                'scan-status': response.imageScanStatus.status,
                'repository-name': image.repositoryName,
                'image-digest': image.imageDigest,
                'image-tags': image.imageTags,
                ...(findings ? { 'finding-severity-counts': findings.findingSeverityCounts } : {}),
              }),
            },
          ],
        }),
      );
    };
    /** Hands the events to the report function and prints one line per scan. */
    const report = async () => {
      await emulator.resetRequests();
      for (const delivery of await deliverScanEvents(sqs, infrastructure.scanEventQueueUrl, handlers.report)) {
        const detail = delivery.event.detail;
        const image = seeded.find((i) => i.imageDigest === detail['image-digest'])!;
        const counts = Object.entries(detail['finding-severity-counts'] ?? {}).map(([s, n]) => `${s} ${n}`).join(', ') || 'no findings';
        const what = detail['scan-status'] === 'FAILED' ? 'FAILED' : counts;
        const result = delivery.result;
        const outcome = result?.published
          ? `published (${result.news}${result.news === 'new-findings' ? `: ${result.newFindings} new` : ''})`
          : `nothing sent (${result?.reason ?? String(delivery.error)})`;
        out(`   ${ref(image).padEnd(24)} ${what.padEnd(38)} ${outcome}`);
      }
    };
    const responses = new Map<string, Record<string, any>>();
    for (const image of startedImages) {
      const result = SCAN_RESULTS[ref(image)];
      if (!result) continue;
      const response = scanFindingsResponse(emulator.accountId, image.repositoryName, image.imageDigest, result, new Date());
      responses.set(image.imageDigest, response);
      await finishScan(image, structuredClone(response));
    }
    await report();

    // 5. What subscribers receive.
    const publishes = (await emulator.requests()).filter((r) => r.operation === 'Publish');
    const received = await receiveNotifications(sqs, infrastructure.subscriberQueueUrl);
    heading(`5. The notifications: ${publishes.length} published to the SNS topic; an SQS subscriber received ${received.length} JSON documents`);
    out('   An email subscriber reads:');
    for (const publish of publishes) {
      const email = JSON.parse(publish.params.Message).email as string;
      out();
      out(`   Subject: ${publish.params.Subject}`);
      out('   ' + '-'.repeat(100));
      for (const line of email.split('\n')) out(`   ${line}`);
      out('   ' + '-'.repeat(100));
    }
    if (received.length > 0) {
      const document = JSON.parse(received[0].Message);
      out();
      out(`   An SQS or Lambda subscriber gets the JSON form, e.g. {"reason": "${document.reason}", "repositoryName": "${document.repositoryName}", ` +
        `"highestSeverity": "${document.highestSeverity}", "severityCounts": ${JSON.stringify(document.severityCounts)}, ...}`);
      const attributes = Object.entries(received[0].MessageAttributes ?? {}).map(([k, v]) => `${k}=${v.Value}`).join(', ');
      out(`   and message attributes for filter policies: ${attributes}`);
    }

    // 6. The next scans of the same images: only what is new is sent.
    heading('6. A week later ECR scans them again (the demo sends those events now): only what is new is sent');
    for (const image of startedImages) {
      const response = responses.get(image.imageDigest);
      if (!response) continue;
      const next = structuredClone(response);
      if (ref(image) === 'shop/web:v1.4.2') {
        // One new CVE in openssl, published since the first scan; every other finding as before.
        const fresh = { name: 'CVE-2026-40001', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2026-40001', severity: 'HIGH', attributes: [{ key: 'package_name', value: 'openssl' }, { key: 'package_version', value: '1.0.0' }, { key: 'CVSS3_SCORE', value: '8.1' }] };
        next.imageScanFindings.findings.push(fresh);
        next.imageScanFindings.findingSeverityCounts.HIGH += 1;
      }
      await finishScan(image, next);
    }
    await report();
    const again = (await emulator.requests()).filter((r) => r.operation === 'Publish');
    out(`\n   ${again.length} published: ${again.map((p) => p.params.Subject).join('; ')}. It begins:\n`);
    for (const line of (JSON.parse(again[0]?.params.Message ?? '{"email":""}').email as string).split('\n').slice(0, 3)) out(`   ${line}`);
    await receiveNotifications(sqs, infrastructure.subscriberQueueUrl);

    // 7. The weekly summary, from the ledger the cycle filled.
    heading('7. Monday 08:00 UTC: the summary function reads the ledger and publishes one registry summary (kind=summary)');
    await emulator.resetRequests();
    await handlers.summary({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('summary'));
    const [summaryPublish] = (await emulator.requests()).filter((r) => r.operation === 'Publish');
    const summaryMessage = JSON.parse(summaryPublish.params.Message) as { default: string; email: string };
    out(`   Subject: ${summaryPublish.params.Subject}`);
    out('   ' + '-'.repeat(100));
    for (const line of summaryMessage.email.split('\n')) out(`   ${line}`);
    out('   ' + '-'.repeat(100));
    out('\n   The same as markdown, for a GitHub job summary (ecr-scan-reporter summary --format markdown):\n');
    for (const line of summaryMarkdown(JSON.parse(summaryMessage.default)).split('\n')) out(`   ${line}`);
    await receiveNotifications(sqs, infrastructure.subscriberQueueUrl);
    eventBridge.destroy();
    ecr.destroy();
    sqs.destroy();
    closeWorkloadClients();
  } finally {
    await emulator.stop();
  }
  out(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s; the emulator is stopped.`);
}

main().catch((error) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
