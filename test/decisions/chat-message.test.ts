import Ajv from 'ajv';
import {
  CHAT_DESCRIPTION_MAX_CHARS,
  CHAT_EVENT_TYPE,
  CHAT_TITLE_MAX_CHARS,
  ChatNotification,
  buildChatNotification,
  chatThreadId,
} from '../../src/decisions/chat-message';
import { Finding, fromBasicFinding } from '../../src/decisions/findings';
import { parseScanEvent } from '../../src/decisions/inputs';
import { SeverityCounts, Thresholds, decideReport, normalizeCounts } from '../../src/decisions/report';
import { ReportDocument, ReportInUse, ReportMessageInput, buildReportMessage } from '../../src/decisions/report-message';
import schema from '../fixtures/chat/custom-notification.schema.json';
import basicResponse from '../fixtures/decisions/describe-image-scan-findings-basic.json';
import completeEvent from '../fixtures/decisions/ecr-image-scan-complete.json';
import failedEvent from '../fixtures/decisions/ecr-image-scan-failed.json';
import untaggedEvent from '../fixtures/decisions/ecr-image-scan-untagged-no-counts.json';

const ACCOUNT = '123456789012';
const DIGEST = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678';
const OTHER_DIGEST = 'sha256:0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d';
const REPOSITORY = 'team/payments-api';
const LONG_REPOSITORY = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60), 'd'.repeat(73)].join('/');
const CONSOLE = `https://us-east-1.console.aws.amazon.com/ecr/repositories/private/${ACCOUNT}/${REPOSITORY}/_/image/${DIGEST}/scan-results?region=us-east-1`;
const LAST_WEEK = new Date('2026-11-24T03:04:11.000Z');
const UNSUPPORTED = 'UnsupportedImageError: The operating system and/or package manager are not supported.';

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(schema);

/** The schema's errors, readable in a failed expectation; [] when the notification is valid. */
function schemaErrors(value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

interface Overrides extends Partial<Omit<ReportMessageInput, 'decision'>> {
  readonly maxFindings?: number;
}

/** A report's JSON document, built as the report function builds it: its decision from the counts and thresholds. */
function makeDocument(overrides: Overrides = {}): ReportDocument {
  const counts: SeverityCounts = overrides.counts ?? { CRITICAL: 1, HIGH: 3, MEDIUM: 1 };
  const thresholds: Thresholds = overrides.thresholds ?? { CRITICAL: 1, HIGH: 1 };
  const scanStatus = overrides.scanStatus ?? 'COMPLETE';
  const { maxFindings, ...rest } = overrides;
  const input: ReportMessageInput = {
    repositoryName: REPOSITORY,
    imageDigest: DIGEST,
    imageTags: ['v1.4.2', 'latest'],
    accountId: ACCOUNT,
    region: 'us-east-1',
    findings: [],
    ...rest,
    scanStatus,
    counts,
    thresholds,
    decision: decideReport({ scanStatus, counts, thresholds, notifyOnScanFailure: true }),
  };
  return buildReportMessage(input, { maxFindings: maxFindings ?? 20 }).document;
}

/** A document from one of the recorded EventBridge scan events. */
function fromEvent(raw: unknown, extra: Overrides = {}): ReportDocument {
  const event = parseScanEvent(raw);
  return makeDocument({
    repositoryName: event.repositoryName,
    imageDigest: event.imageDigest,
    imageTags: event.imageTags,
    scanStatus: event.scanStatus,
    accountId: event.accountId,
    region: event.region,
    counts: normalizeCounts(event.rawSeverityCounts).counts,
    ...extra,
  });
}

const finding = (id: string, severity: string, score: number, extra: Partial<Finding> = {}): Finding => ({
  id,
  severity,
  packageName: 'openssl',
  packageVersion: '3.0.1',
  score,
  url: `https://nvd.nist.gov/vuln/detail/${id}`,
  ...extra,
});
const CRITICAL_OLD = finding('CVE-2024-6387', 'CRITICAL', 9.8);
const HIGH_OLD = finding('CVE-2023-44487', 'HIGH', 7.5);
const HIGH_NEW = finding('CVE-2026-1001', 'HIGH', 7.1);
const HIGH_NEW_2 = finding('CVE-2026-1002', 'HIGH', 7.0, { packageName: 'glibc', packageVersion: '2.36-9' });
const MEDIUM = finding('CVE-2022-0001', 'MEDIUM', 5.0);
const FINDINGS = [CRITICAL_OLD, HIGH_OLD, HIGH_NEW, HIGH_NEW_2, MEDIUM];

const RUNNING: ReportInUse = {
  status: 'running',
  places: [
    { kind: 'ecs-service', name: 'payments-api', cluster: 'prod', count: 4 },
    { kind: 'lambda', name: 'resize-images' },
  ],
  placesOmitted: 0,
  lastPulledAt: '2026-11-30T00:00:00.000Z',
  summary: 'Running in: ECS service payments-api (cluster prod, 4 tasks), Lambda resize-images',
};

/** The report the tests call ordinary: two new HIGH findings since last week's report, running, owned, one accepted risk. */
function newFindingsDocument(overrides: Overrides = {}): ReportDocument {
  return {
    ...makeDocument({
      findings: FINDINGS,
      news: { reportOn: 'NEW_FINDINGS', reason: 'new-findings', newFindings: [HIGH_NEW, HIGH_NEW_2], previousReportAt: LAST_WEEK },
      ...overrides,
    }),
    inUse: RUNNING,
    owner: 'team-payments',
    acceptedRisks: {
      ignoredCount: 2,
      entries: [{ findingId: 'CVE-2024-3094', reason: 'xz is not in the runtime image', expires: '2027-01-31', source: 'accepted-risk', findings: 2 }],
    },
  };
}

function firstReportDocument(): ReportDocument {
  const reached = [CRITICAL_OLD, HIGH_OLD, HIGH_NEW, HIGH_NEW_2];
  return makeDocument({ findings: FINDINGS, news: { reportOn: 'NEW_FINDINGS', reason: 'first-report', newFindings: reached } });
}

function failedDocument(): ReportDocument {
  return fromEvent(failedEvent, {
    statusDescription: UNSUPPORTED,
    news: { reportOn: 'NEW_FINDINGS', reason: 'newly-failed', newFindings: [], previousReportAt: LAST_WEEK },
  });
}

/** `count` distinct findings, severities cycling CRITICAL..LOW, with long package names and links. */
function manyFindings(count: number): Finding[] {
  const severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
  return Array.from({ length: count }, (_, i) => {
    const id = `CVE-2026-${String(100000 + i)}`;
    return {
      id,
      severity: severities[i % severities.length],
      packageName: `package-with-a-rather-long-name-${i}-${'x'.repeat(200)}`,
      packageVersion: `1.${i}.0-r${i % 7}`,
      url: `https://security-tracker.example.org/tracker/${id}?${'details=long&'.repeat(40)}`,
      score: (i % 100) / 10,
    };
  });
}

function manyPlacesInUse(): ReportInUse {
  const places = Array.from({ length: 20 }, (_, i) => ({ kind: 'ecs-service' as const, name: `service-with-a-long-name-${i}`, cluster: `cluster-${i % 3}`, count: i + 1 }));
  return {
    status: 'running',
    places,
    placesOmitted: 30,
    summary: `Running in: ${places.map((p) => `ECS service ${p.name} (cluster ${p.cluster}, ${p.count} tasks)`).join(', ')} and 30 more places`,
  };
}

function hugeDocument(): ReportDocument {
  const many = manyFindings(20_000);
  return {
    ...makeDocument({
      repositoryName: LONG_REPOSITORY,
      imageTags: Array.from({ length: 60 }, (_, i) => `${String(i).padStart(2, '0')}-${'t'.repeat(125)}`),
      counts: { CRITICAL: 5000, HIGH: 5000, MEDIUM: 5000, LOW: 5000 },
      thresholds: { CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1 },
      findings: many,
      news: { reportOn: 'NEW_FINDINGS', reason: 'new-findings', newFindings: many.slice(0, 12_000), previousReportAt: LAST_WEEK },
      maxFindings: 500,
    }),
    inUse: manyPlacesInUse(),
    owner: `team-${'o'.repeat(123)}`,
    acceptedRisks: {
      ignoredCount: 40,
      entries: Array.from({ length: 40 }, (_, i) => ({
        findingId: `CVE-2025-${1000 + i}`,
        reason: 'r'.repeat(300),
        expires: `2027-${String((i % 12) + 1).padStart(2, '0')}-01`,
        source: 'accepted-risk' as const,
        findings: 1,
      })),
    },
  };
}

/** Every line of ECR text at the longest this module quotes, and a console link that takes half the room, so whole lines must go. */
function longestEverythingDocument(): ReportDocument {
  return {
    ...hugeDocument(),
    findingsUnavailableReason: `ImageNotFoundException: ${'gone '.repeat(200)}`,
    severityCounts: { CRITICAL: 5000, HIGH: 5000, MEDIUM: 5000, LOW: 5000, INFORMATIONAL: 5000, UNDEFINED: 5000, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`EXTRA_${i}`, 1])) },
    consoleUrl: `${CONSOLE}&${'x'.repeat(1200)}`,
  };
}

const INJECTION = '*bold* _it_ ~gone~ <!channel> <@U012AB3CD> [click](https://evil.example/x) `tick` @here #general\n> quoted\n# heading';

function injectionDocument(): ReportDocument {
  const evil = finding('CVE-2026-6666|<https://evil.example|CVE-2026-6666>', 'CRITICAL', 9.9, {
    packageName: INJECTION,
    packageVersion: '1.0`<!here>`',
    url: 'javascript:alert(1)',
  });
  const pipeUrl = finding('CVE-2026-7777', 'HIGH', 8.1, { url: 'https://evil.example/a|Click me>' });
  return {
    ...makeDocument({
      findings: [evil, pipeUrl],
      imageTags: ['v1`<@U012AB3CD>`*'],
      news: { reportOn: 'NEW_FINDINGS', reason: 'new-findings', newFindings: [evil], previousReportAt: LAST_WEEK },
    }),
    inUse: { ...RUNNING, summary: `Running in: ECS service ${INJECTION}` },
    owner: '@channel',
  };
}

function injectionFailedDocument(): ReportDocument {
  return makeDocument({ scanStatus: 'FAILED', counts: {}, statusDescription: INJECTION, findingsUnavailableReason: INJECTION });
}

const CASES: [string, () => ReportDocument][] = [
  ['COMPLETE with new findings, in use, owned, an accepted risk', () => newFindingsDocument()],
  ['first report', firstReportDocument],
  ['FAILED scan (recorded event) with a status description', failedDocument],
  ['recorded COMPLETE event with basic findings, no news', () => fromEvent(completeEvent, { findings: basicResponse.imageScanFindings.findings.map((f) => fromBasicFinding(f)) })],
  ['recorded untagged event without counts', () => fromEvent(untaggedEvent, { scanStatus: 'COMPLETE' })],
  ['EVERY_SCAN with nothing new', () => makeDocument({ findings: FINDINGS, news: { reportOn: 'EVERY_SCAN', reason: 'every-scan', newFindings: [], previousReportAt: LAST_WEEK } })],
  ['findings that could not be read', () => makeDocument({ findingsUnavailableReason: 'ImageNotFoundException: the image is gone', news: { reportOn: 'NEW_FINDINGS', reason: 'findings-unavailable', newFindings: [] } })],
  ['in use in many places', () => ({ ...newFindingsDocument(), inUse: manyPlacesInUse() })],
  ['not running, nobody owns it, accepted risks and Inspector suppressions', () => ({
    ...newFindingsDocument(),
    inUse: { status: 'not-running', places: [], placesOmitted: 0, summary: 'Not running, not pulled for 94 days' },
    owner: null,
    acceptedRisks: {
      ignoredCount: 5,
      entries: [
        { findingId: 'CVE-2024-3094', reason: 'not in the runtime image', expires: '2027-06-30', source: 'accepted-risk', findings: 2 },
        { findingId: 'CVE-2023-4911', reason: 'no setuid binaries', expires: '2027-01-31', source: 'accepted-risk', findings: 2 },
        { findingId: 'CVE-2022-1234', reason: 'Suppressed by Amazon Inspector', source: 'inspector-suppressed', findings: 1 },
      ],
    },
  })],
  ['20,000 findings, 60 long tags, a 256-character repository name', hugeDocument],
  ['every line at its longest', longestEverythingDocument],
  ['markdown and mentions in ECR text', injectionDocument],
  ['markdown and mentions in a FAILED scan\'s description', injectionFailedDocument],
  ['China region', () => makeDocument({ region: 'cn-north-1', findings: FINDINGS })],
];

describe('the schema fixture', () => {
  test('names the AWS page it was written from and the date it was read', () => {
    expect(schema.$comment).toContain('https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html');
    expect(schema.$comment).toMatch(/read 2026-12-02/);
    expect(schema.$comment).toMatch(/PRACTICAL, NOT FROM THE DOCS/);
  });

  const valid = (): ChatNotification => buildChatNotification(newFindingsDocument());
  test.each<[string, (n: Record<string, unknown>) => unknown]>([
    ['version other than "1.0"', (n) => ({ ...n, version: '1' })],
    ['source other than "custom"', (n) => ({ ...n, source: 'cdk-ecr-scan-reporter' })],
    ['no content', ({ content: _content, ...n }) => n],
    ['a textType other than client-markdown', (n) => ({ ...n, content: { ...(n.content as object), textType: 'markdown' } })],
    ['a description over 2,500 characters', (n) => ({ ...n, content: { ...(n.content as object), description: 'x'.repeat(2501) } })],
    ['a misspelt field', (n) => ({ ...n, metadata: { ...(n.metadata as object), threadID: 'x' } })],
    ['a non-string additionalContext value', (n) => ({ ...n, metadata: { ...(n.metadata as object), additionalContext: { count: 3 } } })],
  ])('rejects %s, so the validity tests can fail', (_label, spoil) => {
    const notification = valid() as unknown as Record<string, unknown>;
    expect(schemaErrors(notification)).toEqual([]);
    expect(schemaErrors(spoil(notification)).length).toBeGreaterThan(0);
  });
});

describe.each(CASES)('%s', (_label, make) => {
  const document = make();
  const notification = buildChatNotification(document);
  const { content, metadata } = notification;

  test('valid against the custom notification schema', () => {
    expect(schemaErrors(notification)).toEqual([]);
  });

  test('version 1.0, source custom, client-markdown, eventType EcrScanReport', () => {
    expect(notification.version).toBe('1.0');
    expect(notification.source).toBe('custom');
    expect(content.textType).toBe('client-markdown');
    expect(metadata.eventType).toBe(CHAT_EVENT_TYPE);
    expect(CHAT_EVENT_TYPE).toBe('EcrScanReport');
  });

  test(`the description is at most ${CHAT_DESCRIPTION_MAX_CHARS} characters and the title at most ${CHAT_TITLE_MAX_CHARS}`, () => {
    expect(content.description.length).toBeLessThanOrEqual(CHAT_DESCRIPTION_MAX_CHARS);
    expect(CHAT_DESCRIPTION_MAX_CHARS).toBe(2500);
    expect(content.title.length).toBeLessThanOrEqual(CHAT_TITLE_MAX_CHARS);
    expect(content.title).not.toMatch(/\n/);
  });

  test('the description ends with the link to the console: to the findings, or to the scan when it FAILED', () => {
    const lines = content.description.split('\n');
    const label = document.scanStatus === 'FAILED' ? 'The scan in the ECR console' : 'All findings in the ECR console';
    expect(lines[lines.length - 1]).toBe(`<${document.consoleUrl}|${label}>`);
  });

  test('every line opens and closes its code spans and bold', () => {
    for (const text of [content.title, ...content.description.split('\n'), ...content.nextSteps]) {
      expect([text, (text.match(/`/g) ?? []).length % 2]).toEqual([text, 0]);
      const outsideCode = text.replace(/`[^`]*`/g, '').replace(/<https?:\/\/[^|>]+\|[^>]*>/g, '');
      expect([text, (outsideCode.match(/\*/g) ?? []).length % 2]).toEqual([text, 0]);
    }
  });

  test('every link is one this module made: an http(s) URL and a fixed label', () => {
    const labels = ['All findings in the ECR console', 'The scan in the ECR console', 'advisory', 'scan results in the ECR console', 'scan in the ECR console'];
    for (const text of [content.title, content.description, ...content.nextSteps, ...content.keywords, metadata.summary]) {
      for (const [, target, label] of text.matchAll(/<([^>]*)\|([^>]*)>/g)) {
        expect(target).toMatch(/^https:\/\/(nvd\.nist\.gov|[a-z0-9-]+\.console\.(aws\.amazon\.com|amazonaws\.cn)|security-tracker\.(debian|example)\.org)\//);
        expect(labels).toContain(label);
      }
      // No other angle brackets: no Slack mention, channel ping or link can come from ECR data.
      expect(text.replace(/<https:\/\/[^|>\s]+\|[^<>]+>/g, '')).not.toMatch(/[<>]/);
    }
  });

  test('the threadId is the hash of account, region, repository and digest', () => {
    expect(metadata.threadId).toMatch(/^ecr-scan-[0-9a-f]{40}$/);
    expect(metadata.threadId).toBe(chatThreadId(document));
  });
});

describe('a COMPLETE scan with new findings', () => {
  const notification = buildChatNotification(newFindingsDocument());

  test('the title counts the new findings at their levels and names the image', () => {
    expect(notification.content.title).toBe(':rotating_light: 2 new HIGH findings in `team/payments-api:v1.4.2`');
  });

  test('the description, line by line: news, counts, where it runs, owner, accepted risks, new findings first, image, console', () => {
    expect(notification.content.description.split('\n')).toEqual([
      '*2 new* findings since the report of 2026-11-24.',
      '*Severity:* *CRITICAL 1* (threshold 1), *HIGH 3* (threshold 1); also MEDIUM 1',
      '*Where it runs:* Running in: ECS service payments-api (cluster prod, 4 tasks), Lambda resize-images',
      '*Owner:* `team-payments`',
      '*Accepted risks:* 2 findings left out by 1 rule, until 2027-01-31.',
      '*Top findings* (5 of 5):',
      '\u2022 *new* `CVE-2026-1001` HIGH in `openssl 3.0.1` (score 7.1) <https://nvd.nist.gov/vuln/detail/CVE-2026-1001|advisory>',
      '\u2022 *new* `CVE-2026-1002` HIGH in `glibc 2.36-9` (score 7) <https://nvd.nist.gov/vuln/detail/CVE-2026-1002|advisory>',
      '\u2022 `CVE-2024-6387` CRITICAL in `openssl 3.0.1` (score 9.8) <https://nvd.nist.gov/vuln/detail/CVE-2024-6387|advisory>',
      '\u2022 `CVE-2023-44487` HIGH in `openssl 3.0.1` (score 7.5) <https://nvd.nist.gov/vuln/detail/CVE-2023-44487|advisory>',
      '\u2022 `CVE-2022-0001` MEDIUM in `openssl 3.0.1` (score 5) <https://nvd.nist.gov/vuln/detail/CVE-2022-0001|advisory>',
      '*Image:* `team/payments-api`, tags `v1.4.2`, `latest`, digest `sha256:7f5b2640fe6f`',
      `<${CONSOLE}|All findings in the ECR console>`,
    ]);
  });

  test('next steps: the console, a rebuild naming the packages, accepting a risk', () => {
    expect(notification.content.nextSteps).toEqual([
      `Open the <${CONSOLE}|scan results in the ECR console> and triage the findings, new ones first.`,
      'Rebuild `team/payments-api` on a patched base image or upgrade `openssl`, `glibc`, push it, and let the next scan confirm the fix.',
      'If a finding does not apply to this image, accept the risk with an `acceptedRisks` entry (finding id, reason, expiry date) instead of living with the noise.',
    ]);
  });

  test('keywords: repository, highest severity, owner, in use', () => {
    expect(notification.content.keywords).toEqual(['team/payments-api', 'CRITICAL', 'team-payments', 'in use']);
  });

  test('metadata: the thread of this image, a plain summary, the repository ARN and image URI, plain context values', () => {
    expect(notification.metadata).toEqual({
      threadId: 'ecr-scan-4713fe08163edb56bf183a0daa27ec4bad2303a9',
      summary: 'ECR scan of team/payments-api:v1.4.2: 2 new, CRITICAL 1, HIGH 3',
      eventType: 'EcrScanReport',
      relatedResources: [`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${REPOSITORY}`, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${REPOSITORY}@${DIGEST}`],
      additionalContext: {
        repositoryName: REPOSITORY,
        imageDigest: DIGEST,
        imageTag: 'v1.4.2',
        accountId: ACCOUNT,
        region: 'us-east-1',
        scanStatus: 'COMPLETE',
        highestSeverity: 'CRITICAL',
        totalFindings: '5',
        consoleUrl: CONSOLE,
        news: 'new-findings',
        newFindings: '2',
        owner: 'team-payments',
        inUse: 'running',
        acceptedRisksIgnored: '2',
      },
    });
  });

  test('without a previous report time, the news line names no date', () => {
    const document = newFindingsDocument({ news: { reportOn: 'NEW_FINDINGS', reason: 'new-findings', newFindings: [HIGH_NEW] } });
    expect(buildChatNotification(document).content.description.split('\n')[0]).toBe('*1 new* finding.');
    expect(buildChatNotification(document).content.title).toBe(':rotating_light: 1 new HIGH finding in `team/payments-api:v1.4.2`');
  });

  test('new findings that could not all be named: the count grew, said without a number', () => {
    const document = makeDocument({ findings: FINDINGS, news: { reportOn: 'NEW_FINDINGS', reason: 'new-findings', newFindings: [], previousReportAt: LAST_WEEK } });
    const { content } = buildChatNotification(document);
    expect(content.description.split('\n')[0]).toBe("*New findings* since the report of 2026-11-24: more findings than could be read, and a reached severity's count grew.");
    expect(content.title).toBe(':rotating_light: 4 CRITICAL/HIGH findings in `team/payments-api:v1.4.2`');
  });

  test('a link longer than 300 characters, or not http(s), is left out; the finding stays', () => {
    const long = finding('CVE-2026-2001', 'CRITICAL', 9.1, { url: `https://nvd.nist.gov/${'x'.repeat(300)}` });
    const ftp = finding('CVE-2026-2002', 'CRITICAL', 9.0, { url: 'ftp://mirror.example/CVE-2026-2002' });
    const { description } = buildChatNotification(makeDocument({ findings: [long, ftp] })).content;
    expect(description).toContain('\u2022 `CVE-2026-2001` CRITICAL in `openssl 3.0.1` (score 9.1)\n');
    expect(description).toContain('\u2022 `CVE-2026-2002` CRITICAL in `openssl 3.0.1` (score 9)\n');
    expect(description).not.toContain('nvd.nist.gov/xxx');
    expect(description).not.toContain('ftp:');
  });
});

describe('a first report', () => {
  const { content } = buildChatNotification(firstReportDocument());

  test('says it is the first, counts what reached the thresholds, and marks nothing as new', () => {
    expect(content.description.split('\n')[0]).toBe('*First report* of this image: 4 findings at or above your thresholds.');
    expect(content.title).toBe(':rotating_light: 4 CRITICAL/HIGH findings in `team/payments-api:v1.4.2`');
    expect(content.description).not.toContain('*new*');
    expect(content.description).toContain('*Top findings* (5 of 5):\n\u2022 `CVE-2024-6387` CRITICAL');
  });
});

describe('a FAILED scan', () => {
  const document = failedDocument();
  const { content, metadata } = buildChatNotification(document);

  test('gives the failure, its reason and what it means, not zero counts', () => {
    expect(content.title).toBe(':warning: ECR scan FAILED for `batch-worker:2026.11.26`');
    expect(content.description.split('\n')).toEqual([
      '*First failure reported* since the last complete scan of this image.',
      `*The scan FAILED:* ${UNSUPPORTED}`,
      'No findings are known for this image until a scan completes; the rescan schedule tries again.',
      '*Image:* `batch-worker`, tag `2026.11.26`, digest `sha256:0c2d4e6f8a1b`',
      `<${document.consoleUrl}|The scan in the ECR console>`,
    ]);
    expect(content.description).not.toMatch(/threshold|Severity|CRITICAL|HIGH|findings in the|Top findings/);
  });

  test('no description from ECR: "no reason given", in the description and the context', () => {
    const { content: bare, metadata: bareMetadata } = buildChatNotification(fromEvent(failedEvent));
    expect(bare.description.split('\n')[0]).toBe('*The scan FAILED:* no reason given');
    expect(bareMetadata.additionalContext.failureReason).toBe('no reason given');
    expect(schemaErrors(buildChatNotification(fromEvent(failedEvent)))).toEqual([]);
  });

  test('counts its event carried and findings passed in are not shown: a failed scan has none', () => {
    const withCounts = makeDocument({ scanStatus: 'FAILED', counts: { CRITICAL: 2, HIGH: 3 }, findings: FINDINGS, statusDescription: UNSUPPORTED, owner: 'team-payments' });
    const { content: shown, metadata: context } = buildChatNotification(withCounts);
    expect(shown.description.split('\n')).toEqual([
      `*The scan FAILED:* ${UNSUPPORTED}`,
      'No findings are known for this image until a scan completes; the rescan schedule tries again.',
      '*Owner:* `team-payments`',
      '*Image:* `team/payments-api`, tags `v1.4.2`, `latest`, digest `sha256:7f5b2640fe6f`',
      `<${CONSOLE}|The scan in the ECR console>`,
    ]);
    expect(shown.keywords).toEqual(['team/payments-api', 'FAILED', 'team-payments']);
    expect(context.additionalContext).not.toHaveProperty('totalFindings');
    expect(context.additionalContext.highestSeverity).toBe('UNKNOWN');
  });

  test('next steps: the console, then fixing the cause', () => {
    expect(content.nextSteps).toEqual([
      `Open the <${document.consoleUrl}|scan in the ECR console> to see why it failed.`,
      'Fix the cause (an unsupported operating system or package manager cannot be scanned by basic scanning), then push again or wait for the next rescan: ECR allows one scan per image per 24 hours.',
    ]);
  });

  test('keywords and summary say FAILED', () => {
    expect(content.keywords).toEqual(['batch-worker', 'FAILED']);
    expect(metadata.summary).toBe('ECR scan of batch-worker:2026.11.26: scan FAILED');
    expect(metadata.relatedResources).toEqual([
      'arn:aws:ecr:eu-west-1:123456789012:repository/batch-worker',
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/batch-worker@${OTHER_DIGEST}`,
    ]);
  });

  test('the context gives the failure\'s reason, highest severity UNKNOWN, and no total or new count (not 0)', () => {
    expect(metadata.additionalContext).toEqual({
      repositoryName: 'batch-worker',
      imageDigest: OTHER_DIGEST,
      imageTag: '2026.11.26',
      accountId: ACCOUNT,
      region: 'eu-west-1',
      scanStatus: 'FAILED',
      highestSeverity: 'UNKNOWN',
      failureReason: UNSUPPORTED,
      consoleUrl: document.consoleUrl,
      news: 'newly-failed',
    });
  });
});

describe('where it runs, who owns it, what was accepted', () => {
  test('in use in many places: the summary, cut to 400 characters', () => {
    const document = { ...newFindingsDocument(), inUse: manyPlacesInUse() };
    const line = buildChatNotification(document).content.description.split('\n')[2];
    expect(line.startsWith('*Where it runs:* Running in: ECS service service-with-a-long-name-0 (cluster cluster-0, 1 tasks), ')).toBe(true);
    expect(line.length).toBe('*Where it runs:* '.length + 400);
    expect(line.endsWith('\u2026')).toBe(true);
  });

  test('not running: the summary and the keyword', () => {
    const document: ReportDocument = { ...newFindingsDocument(), inUse: { status: 'not-running', places: [], placesOmitted: 0, summary: 'Not running, not pulled for 94 days' } };
    const { content } = buildChatNotification(document);
    expect(content.description.split('\n')[2]).toBe('*Where it runs:* Not running, not pulled for 94 days');
    expect(content.keywords).toEqual(['team/payments-api', 'CRITICAL', 'team-payments', 'not running']);
  });

  test('unknown: the summary, and neither keyword', () => {
    const document: ReportDocument = { ...newFindingsDocument(), inUse: { status: 'unknown', places: [], placesOmitted: 0, summary: 'Not known whether it runs' } };
    expect(buildChatNotification(document).content.keywords).toEqual(['team/payments-api', 'CRITICAL', 'team-payments']);
  });

  test('nobody owns it: said, and a next step asks for an owner', () => {
    const { content } = buildChatNotification({ ...newFindingsDocument(), owner: null });
    expect(content.description.split('\n')[3]).toBe('*Owner:* none known');
    expect(content.keywords).toEqual(['team/payments-api', 'CRITICAL', 'in use']);
    expect(content.nextSteps[content.nextSteps.length - 1]).toBe('Name an owner for this repository (a repository tag or `repositoryOwners`), so its reports reach a team.');
  });

  test('without the new fields (an older document), no line about them', () => {
    const document = makeDocument({ findings: FINDINGS });
    const { description } = buildChatNotification(document).content;
    expect(description).not.toMatch(/Where it runs|Owner|Accepted risks/);
    expect(description.split('\n')[0]).toBe('*Severity:* *CRITICAL 1* (threshold 1), *HIGH 3* (threshold 1); also MEDIUM 1');
  });

  test('accepted risks: how many were left out, by how many rules, and when the acceptances end', () => {
    const document: ReportDocument = {
      ...newFindingsDocument(),
      acceptedRisks: {
        ignoredCount: 5,
        entries: [
          { findingId: 'CVE-2024-3094', reason: 'not in the runtime image', expires: '2027-06-30', source: 'accepted-risk', findings: 2 },
          { findingId: 'CVE-2023-4911', reason: 'no setuid binaries', expires: '2027-01-31T00:00:00Z', source: 'accepted-risk', findings: 2 },
          { findingId: 'CVE-2022-1234', reason: 'Suppressed by Amazon Inspector', source: 'inspector-suppressed', findings: 1 },
        ],
      },
    };
    expect(buildChatNotification(document).content.description.split('\n')[4]).toBe(
      '*Accepted risks:* 5 findings left out by 3 rules, the first acceptance ends 2027-01-31, the last 2027-06-30; 1 Amazon Inspector suppression, no end date.',
    );
  });

  test('accepted risks that left nothing out: no line', () => {
    const document: ReportDocument = { ...newFindingsDocument(), acceptedRisks: { ignoredCount: 0, entries: [] } };
    expect(buildChatNotification(document).content.description).not.toContain('Accepted risks');
  });
});

describe('size', () => {
  test('20,000 findings and long names: findings are dropped until it fits, and the rest are counted', () => {
    const document = hugeDocument();
    const { description } = buildChatNotification(document).content;
    const bullets = description.split('\n').filter((l) => l.startsWith('\u2022 '));
    expect(bullets.length).toBeGreaterThan(0);
    expect(bullets.length).toBeLessThan(5);
    expect(description).toContain(`*Top findings* (${bullets.length} of 20000):`);
    expect(description).toContain(`\u2026and ${20_000 - bullets.length} more in the console.`);
    expect(description.length).toBeLessThanOrEqual(CHAT_DESCRIPTION_MAX_CHARS);
    // New ones first: the first listed is the first of the new findings, marked.
    expect(bullets[0].startsWith('\u2022 *new* `CVE-2026-100096` CRITICAL in `package-with-a-rather-long-name-96-')).toBe(true);
  });

  test('a 256-character repository name is cut in the title and the image line, with an ellipsis; the console link keeps it whole', () => {
    const document = hugeDocument();
    const { content } = buildChatNotification(document);
    expect(content.title).toHaveLength(CHAT_TITLE_MAX_CHARS);
    // Not every new finding is listed, so the title names every reached level.
    expect(content.title).toMatch(/^:rotating_light: 12000 new CRITICAL\/HIGH\/MEDIUM\/LOW findings in `a{60}\/b{60}\/c*\u2026:00-t{56}\u2026`$/);
    const image = content.description.split('\n').find((l) => l.startsWith('*Image:*')) ?? '';
    expect(image).toBe(`*Image:* \`${LONG_REPOSITORY.slice(0, 119)}\u2026\`, tags \`00-${'t'.repeat(56)}\u2026\`, \`01-${'t'.repeat(56)}\u2026\`, \`02-${'t'.repeat(56)}\u2026\` and 57 more, digest \`sha256:7f5b2640fe6f\``);
    expect(content.description.endsWith(`/${LONG_REPOSITORY}/_/image/${DIGEST}/scan-results?region=us-east-1|All findings in the ECR console>`)).toBe(true);
  });

  test('every line at its longest: whole lines are dropped from the end, the lead stays, and the cut is said', () => {
    const document = longestEverythingDocument();
    const { description } = buildChatNotification(document).content;
    const lines = description.split('\n');
    expect(description.length).toBeLessThanOrEqual(CHAT_DESCRIPTION_MAX_CHARS);
    // Kept: the lead and the counts; dropped, last first: the unreadable-findings reason, accepted risks, owner, where it runs.
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('*12000 new* findings since the report of 2026-11-24.');
    expect(lines[1]).toMatch(/^\*Severity:\* \*CRITICAL 5000\* \(threshold 1\), .* and 16 more$/);
    expect(lines.slice(2, 4)).toEqual(['\u2026cut short; see the console.', 'Findings: 20000 more in the console.']);
    expect(lines[4]).toMatch(/^\*Image:\* `a{60}\/b{58}\u2026`, tags /);
    expect(description).not.toMatch(/\u2022 |Where it runs|Owner|Accepted risks|Findings could not be listed/);
    expect(lines[lines.length - 1]).toBe(`<${document.consoleUrl}|All findings in the ECR console>`);
  });

  test('more than six severities without a threshold: six named, the rest counted', () => {
    const document: ReportDocument = { ...newFindingsDocument(), severityCounts: { CRITICAL: 1, HIGH: 3, ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`S${i}`, i + 1])) } };
    expect(buildChatNotification(document).content.description.split('\n')[1]).toBe(
      '*Severity:* *CRITICAL 1* (threshold 1), *HIGH 3* (threshold 1); also S0 1, S1 2, S2 3, S3 4, S4 5, S5 6 and 3 more',
    );
  });
});

describe('threads', () => {
  test('two reports of the same digest thread together; another digest, repository, account or region does not', () => {
    const first = buildChatNotification(firstReportDocument()).metadata.threadId;
    const later = buildChatNotification(newFindingsDocument()).metadata.threadId;
    expect(later).toBe(first);
    expect(first).toBe('ecr-scan-4713fe08163edb56bf183a0daa27ec4bad2303a9');
    const others = [
      makeDocument({ imageDigest: OTHER_DIGEST }),
      makeDocument({ repositoryName: 'team/payments-worker' }),
      makeDocument({ accountId: '210987654321' }),
      makeDocument({ region: 'eu-west-1' }),
    ].map((d) => buildChatNotification(d).metadata.threadId);
    expect(new Set([first, ...others]).size).toBe(5);
  });

  test('the same image with other tags still threads together', () => {
    expect(buildChatNotification(makeDocument({ imageTags: ['v2'] })).metadata.threadId).toBe('ecr-scan-4713fe08163edb56bf183a0daa27ec4bad2303a9');
  });
});

describe('markdown and mentions from ECR data are neutralised', () => {
  const notification = buildChatNotification(injectionDocument());
  const { content, metadata } = notification;

  test('a package name in a code span: backticks, angle brackets, @ and # become look-alikes, line breaks spaces', () => {
    const pkg: Finding = { id: 'CVE-2026-6666', severity: 'CRITICAL', packageName: 'pkg', packageVersion: '1.0`<!here>`' };
    const version = buildChatNotification({ ...injectionDocument(), findings: [pkg], newFindings: [pkg] });
    expect(version.content.description).toContain('\u2022 *new* `CVE-2026-6666` CRITICAL in `pkg 1.0\u02cb\u2039!here\u203a\u02cb`\n');
    expect(content.description).toContain(
      // Inside a code span, emphasis and markdown links are inert; the value is cut at 120 characters.
      ' in `*bold* _it_ ~gone~ \u2039!channel\u203a \u2039\uff20U012AB3CD\u203a [click](https://evil.example/x) \u02cbtick\u02cb \uff20here \uff03general \u203a quoted \uff03 heading 1.0\u2026` (score 9.9)',
    );
  });

  test('a finding id cannot open a link, and a javascript: or pipe-broken URL is not linked', () => {
    expect(content.description).toContain('\u2022 *new* `CVE-2026-6666|\u2039https://evil.example|CVE-2026-6666\u203a` CRITICAL in ');
    expect(content.description).toContain('\u2022 `CVE-2026-7777` HIGH in `openssl 3.0.1` (score 8.1)\n');
    expect(content.description).not.toContain('javascript:');
    expect(content.description).not.toContain('Click me');
  });

  test('prose (where it runs) gets look-alikes for emphasis, links, mentions and headings too', () => {
    expect(content.description).toContain(
      '*Where it runs:* Running in: ECS service \u2217bold\u2217 \uff3fit\uff3f \u223cgone\u223c \u2039!channel\u203a \u2039\uff20U012AB3CD\u203a \uff3bclick\uff3d(https://evil.example/x) \u02cbtick\u02cb \uff20here \uff03general \u203a quoted \uff03 heading\n',
    );
  });

  test('the owner, a tag and the title cannot ping the channel', () => {
    expect(content.description).toContain('*Owner:* `\uff20channel`');
    expect(content.description).toContain(', tag `v1\u02cb\u2039\uff20U012AB3CD\u203a\u02cb*`, ');
    expect(content.title).toBe(':rotating_light: 1 new CRITICAL finding in `team/payments-api:v1\u02cb\u2039\uff20U012AB3CD\u203a\u02cb*`');
    expect(content.keywords).toEqual(['team/payments-api', 'CRITICAL', '\uff20channel', 'in use']);
  });

  test('no line break from the data: the description has exactly its own lines', () => {
    expect(content.description.split('\n')).toHaveLength(10);
  });

  test('nowhere a raw mention, channel ping or data-made link', () => {
    const all = [content.title, content.description, ...content.nextSteps, ...content.keywords, metadata.summary].join('\n');
    expect(all).not.toMatch(/<!|<@|@here|@channel|<https:\/\/evil/);
  });

  test('a FAILED scan\'s description and the unreadable-findings reason are prose, neutralised', () => {
    const { description } = buildChatNotification(injectionFailedDocument()).content;
    const neutral = '\u2217bold\u2217 \uff3fit\uff3f \u223cgone\u223c \u2039!channel\u203a \u2039\uff20U012AB3CD\u203a \uff3bclick\uff3d(https://evil.example/x) \u02cbtick\u02cb \uff20here \uff03general \u203a quoted \uff03 heading';
    expect(description.split('\n').slice(0, 3)).toEqual([
      `*The scan FAILED:* ${neutral}`,
      'No findings are known for this image until a scan completes; the rescan schedule tries again.',
      `*Scan details could not be read:* ${neutral}`,
    ]);
  });

  test('zero-width and bidirectional controls go, so they cannot hide a mention or reverse a name', () => {
    const document: ReportDocument = { ...newFindingsDocument(), owner: '@\u200bhere', inUse: { ...RUNNING, summary: 'Running in: Lambda \u202eevil\u202c-fn' } };
    const { description } = buildChatNotification(document).content;
    expect(description).toContain('*Owner:* `\uff20here`\n');
    expect(description).toContain('*Where it runs:* Running in: Lambda evil-fn\n');
  });

  test('an intraword underscore stays: python_dateutil reads as written', () => {
    const document: ReportDocument = { ...newFindingsDocument(), inUse: { ...RUNNING, summary: 'Running in: Lambda python_dateutil_check' } };
    expect(buildChatNotification(document).content.description).toContain('*Where it runs:* Running in: Lambda python_dateutil_check\n');
  });

  test('a console URL with characters that could end the link is percent-encoded', () => {
    const document: ReportDocument = { ...newFindingsDocument(), consoleUrl: 'https://us-east-1.console.aws.amazon.com/ecr/x|y>z w' };
    const lines = buildChatNotification(document).content.description.split('\n');
    expect(lines[lines.length - 1]).toBe('<https://us-east-1.console.aws.amazon.com/ecr/x%7Cy%3Ez%20w|All findings in the ECR console>');
  });
});

describe('partitions', () => {
  test('China: aws-cn ARN and the .amazonaws.com.cn registry', () => {
    const { metadata } = buildChatNotification(makeDocument({ region: 'cn-north-1' }));
    expect(metadata.relatedResources).toEqual([
      `arn:aws-cn:ecr:cn-north-1:${ACCOUNT}:repository/${REPOSITORY}`,
      `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/${REPOSITORY}@${DIGEST}`,
    ]);
  });

  test('GovCloud: aws-us-gov ARN', () => {
    const { metadata } = buildChatNotification(makeDocument({ region: 'us-gov-west-1' }));
    expect(metadata.relatedResources[0]).toBe(`arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNT}:repository/${REPOSITORY}`);
  });
});

describe('other news', () => {
  test('EVERY_SCAN with nothing new says so, and counts every reached finding in the title', () => {
    const document = makeDocument({ findings: FINDINGS, news: { reportOn: 'EVERY_SCAN', reason: 'every-scan', newFindings: [], previousReportAt: LAST_WEEK } });
    const { content } = buildChatNotification(document);
    expect(content.description.split('\n')[0]).toBe('Nothing new since the report of 2026-11-24; every scan is reported.');
    expect(content.title).toBe(':rotating_light: 4 CRITICAL/HIGH findings in `team/payments-api:v1.4.2`');
  });

  test('findings that could not be read: said, with the reason and the known count', () => {
    const document = makeDocument({ findingsUnavailableReason: 'ImageNotFoundException: the image is gone', news: { reportOn: 'NEW_FINDINGS', reason: 'findings-unavailable', newFindings: [] } });
    expect(buildChatNotification(document).content.description.split('\n').slice(0, 4)).toEqual([
      'The findings could not be read, so what is new cannot be told.',
      '*Severity:* *CRITICAL 1* (threshold 1), *HIGH 3* (threshold 1); also MEDIUM 1',
      '*Findings could not be listed:* ImageNotFoundException: the image is gone',
      'Findings: 5 more in the console.',
    ]);
  });

  test('a platform image is named by its index\'s tag and platform', () => {
    const document = makeDocument({ imageTags: [], findings: FINDINGS, imageIndex: { digest: `sha256:${'c'.repeat(64)}`, tags: ['v1.2'], platform: 'linux/arm64' } });
    const { content } = buildChatNotification(document);
    expect(content.title).toBe(':rotating_light: 4 CRITICAL/HIGH findings in `team/payments-api:v1.2 (linux/arm64)`');
    expect(content.description).toContain('*Image:* `team/payments-api`, the `linux/arm64` image of index `v1.2`, digest `sha256:7f5b2640fe6f`');
  });

  test('an untagged image is named by its short digest', () => {
    const document = makeDocument({ imageTags: [], findings: FINDINGS });
    const { content, metadata } = buildChatNotification(document);
    expect(content.title).toBe(':rotating_light: 4 CRITICAL/HIGH findings in `team/payments-api sha256:7f5b2640fe6f`');
    expect(content.description).toContain('*Image:* `team/payments-api`, untagged, digest `sha256:7f5b2640fe6f`');
    expect(metadata.additionalContext.imageTag).toBeUndefined();
  });
});
