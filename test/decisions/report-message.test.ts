import { Finding, fromBasicFinding } from '../../src/decisions/findings';
import { parseScanEvent } from '../../src/decisions/inputs';
import { SeverityCounts, Thresholds, decideReport, normalizeCounts } from '../../src/decisions/report';
import {
  MessageAttribute,
  ReportMessage,
  ReportMessageInput,
  ReportInUse,
  ReportMessageOptions,
  SNS_MAX_PUBLISH_BYTES,
  buildReportMessage,
  buildSubject,
  consoleUrl,
} from '../../src/decisions/report-message';
import basicResponse from '../fixtures/decisions/describe-image-scan-findings-basic.json';
import completeEvent from '../fixtures/decisions/ecr-image-scan-complete.json';
import failedEvent from '../fixtures/decisions/ecr-image-scan-failed.json';
import untaggedEvent from '../fixtures/decisions/ecr-image-scan-untagged-no-counts.json';

const ACCOUNT = '123456789012';
const DIGEST = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678';
const REPOSITORY = 'team/payments-api';
const HUGE = 1_000_000_000;

/** SNS Publish limit: the message and its attributes (name, type and value) together. */
const PUBLISH_LIMIT = 262_144;

interface Overrides extends Partial<Omit<ReportMessageInput, 'decision'>> {
  readonly notifyOnScanFailure?: boolean;
}

/** A report input whose decision is computed from its counts and thresholds, as the handler does. */
function makeInput(overrides: Overrides = {}): ReportMessageInput {
  const counts: SeverityCounts = overrides.counts ?? { CRITICAL: 2, HIGH: 3, MEDIUM: 7 };
  const thresholds: Thresholds = overrides.thresholds ?? { CRITICAL: 1, HIGH: 1 };
  const scanStatus = overrides.scanStatus ?? 'COMPLETE';
  const decision = decideReport({ scanStatus, counts, thresholds, notifyOnScanFailure: overrides.notifyOnScanFailure ?? true });
  const { notifyOnScanFailure: _ignored, ...rest } = overrides;
  return {
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
    decision,
  };
}

function build(overrides: Overrides = {}, options: ReportMessageOptions = { maxFindings: 20 }): ReportMessage {
  return buildReportMessage(makeInput(overrides), options);
}

/** Bytes of the message attributes as SNS counts them: name, data type and value. */
function attributeBytes(attributes: Record<string, MessageAttribute>): number {
  let total = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    total += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType, 'utf8') + Buffer.byteLength(attribute.StringValue, 'utf8');
  }
  return total;
}

function attributeChars(attributes: Record<string, MessageAttribute>): number {
  let total = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    total += name.length + attribute.DataType.length + attribute.StringValue.length;
  }
  return total;
}

/** `count` distinct findings, severities cycling CRITICAL..LOW, each with long text. */
function manyFindings(count: number, options: { urlLength?: number; packageName?: string } = {}): Finding[] {
  const severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
  const findings: Finding[] = [];
  for (let i = 0; i < count; i++) {
    const id = `CVE-2026-${String(100000 + i)}`;
    findings.push({
      id,
      severity: severities[i % severities.length],
      packageName: options.packageName ?? `package-with-a-rather-long-name-${i}`,
      packageVersion: `1.${i}.0-r${i % 7}`,
      url: `https://security-tracker.example.org/tracker/${id}?${'details=long&'.repeat(Math.ceil((options.urlLength ?? 400) / 13))}`,
      score: (i % 100) / 10,
    });
  }
  return findings;
}

const LONG_REPOSITORY = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60), 'd'.repeat(73)].join('/');

describe('fixtures', () => {
  test('the long repository name is a valid 256-character ECR name', () => {
    expect(LONG_REPOSITORY).toHaveLength(256);
  });
});

describe('consoleUrl', () => {
  test.each<[string, string]>([
    ['us-east-1', `https://us-east-1.console.aws.amazon.com/ecr/repositories/private/${ACCOUNT}/${REPOSITORY}/_/image/${DIGEST}/scan-results?region=us-east-1`],
    ['eu-central-1', `https://eu-central-1.console.aws.amazon.com/ecr/repositories/private/${ACCOUNT}/${REPOSITORY}/_/image/${DIGEST}/scan-results?region=eu-central-1`],
    ['cn-north-1', `https://cn-north-1.console.amazonaws.cn/ecr/repositories/private/${ACCOUNT}/${REPOSITORY}/_/image/${DIGEST}/scan-results?region=cn-north-1`],
    ['cn-northwest-1', `https://cn-northwest-1.console.amazonaws.cn/ecr/repositories/private/${ACCOUNT}/${REPOSITORY}/_/image/${DIGEST}/scan-results?region=cn-northwest-1`],
    [
      'us-gov-west-1',
      `https://us-gov-west-1.console.amazonaws-us-gov.com/ecr/repositories/private/${ACCOUNT}/${REPOSITORY}/_/image/${DIGEST}/scan-results?region=us-gov-west-1`,
    ],
  ])('%s', (region, expected) => {
    expect(consoleUrl(region, ACCOUNT, REPOSITORY, DIGEST)).toBe(expected);
  });

  test('the report text and document carry the console link of the event\'s region', () => {
    const message = build({ region: 'cn-north-1' });
    const expected = `https://cn-north-1.console.amazonaws.cn/ecr/repositories/private/${ACCOUNT}/${REPOSITORY}/_/image/${DIGEST}/scan-results?region=cn-north-1`;
    expect(message.document.consoleUrl).toBe(expected);
    expect(message.text).toContain(`Scan results in the ECR console: ${expected}`);
  });
});

describe('subject', () => {
  const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
  const ALL_SIX: SeverityCounts = { CRITICAL: HUGE, HIGH: HUGE, MEDIUM: HUGE, LOW: HUGE, INFORMATIONAL: HUGE, UNDEFINED: HUGE };
  const ALL_SIX_THRESHOLDS: Thresholds = { CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1, INFORMATIONAL: 1, UNDEFINED: 1 };

  test.each<[string, Overrides]>([
    ['ordinary report', {}],
    ['256-character repository name', { repositoryName: LONG_REPOSITORY }],
    ['256-character repository name, untagged', { repositoryName: LONG_REPOSITORY, imageTags: [] }],
    ['non-ASCII tag', { imageTags: ['v1-été-🚀-版本'] }],
    ['tag with line breaks and control characters', { imageTags: ['v1\r\nBcc: someone\u0007'] }],
    ['128-character tag and 256-character name', { repositoryName: LONG_REPOSITORY, imageTags: ['t'.repeat(128)] }],
    ['all six severities breached with huge counts', { counts: ALL_SIX, thresholds: ALL_SIX_THRESHOLDS }],
    [
      'all six breached, 256-character name and a non-ASCII tag',
      { counts: ALL_SIX, thresholds: ALL_SIX_THRESHOLDS, repositoryName: LONG_REPOSITORY, imageTags: ['ünïcødé-😀'] },
    ],
    ['FAILED with a 256-character name', { scanStatus: 'FAILED', counts: {}, repositoryName: LONG_REPOSITORY }],
  ])('%s: under 100 characters, printable ASCII, one line', (_label, overrides) => {
    const { subject } = build(overrides);
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toMatch(PRINTABLE_ASCII);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith('ECR scan:')).toBe(true);
  });

  test('every prefix length around the limit: counts of 1 to 15 digits over 1 to 6 breached levels', () => {
    const severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];
    const prefixLengths = new Set<number>();
    for (let levels = 1; levels <= 6; levels++) {
      for (let digits = 1; digits <= 15; digits++) {
        for (let firstDigits = 1; firstDigits <= 15; firstDigits++) {
          const counts: SeverityCounts = {};
          const thresholds: Thresholds = {};
          severities.slice(0, levels).forEach((severity, i) => {
            counts[severity] = Number('9'.repeat(i === 0 ? firstDigits : digits));
            thresholds[severity as keyof Thresholds] = 1;
          });
          // The subject's fixed start as the report defines it: "ECR scan: <levels> in ".
          const what = severities.slice(0, levels).map((severity) => `${severity} ${counts[severity]}`).join(', ');
          prefixLengths.add(`ECR scan: ${what} in `.length);
          for (const repositoryName of [REPOSITORY, LONG_REPOSITORY]) {
            const subject = buildSubject(makeInput({ counts, thresholds, repositoryName }));
            expect(subject.length).toBeLessThanOrEqual(99);
            expect(subject).toMatch(PRINTABLE_ASCII);
            expect(subject.startsWith('ECR scan: CRITICAL ')).toBe(true);
          }
        }
      }
    }
    // The sweep really crosses the limit: every prefix length from 80 to 105 occurs.
    for (let length = 80; length <= 105; length++) {
      expect(prefixLengths.has(length)).toBe(true);
    }
  });

  test('names the breached levels with their counts, the repository and the first tag', () => {
    const { subject } = build();
    expect(subject).toContain('CRITICAL 2');
    expect(subject).toContain('HIGH 3');
    expect(subject).toContain(`${REPOSITORY}:v1.4.2`);
    // MEDIUM has no threshold: not a reason for the report, so not in the subject.
    expect(subject).not.toContain('MEDIUM');
  });

  test('a level below its threshold is not named', () => {
    const { subject } = build({ counts: { CRITICAL: 2, HIGH: 3 }, thresholds: { CRITICAL: 5, HIGH: 1 } });
    expect(subject).toContain('HIGH 3');
    expect(subject).not.toContain('CRITICAL');
  });

  test('an untagged image is named by its digest', () => {
    const { subject } = build({ imageTags: [] });
    expect(subject).toContain(`${REPOSITORY}@sha256:7f5b2640fe6f`);
  });

  test('a platform image (untagged) is named by its index\'s first tag and its platform; by its digest when the index is untagged too', () => {
    const imageIndex = { digest: `sha256:${'c'.repeat(64)}`, tags: ['v1.2', 'latest'], platform: 'linux/arm64' };
    expect(build({ imageTags: [], imageIndex }).subject).toBe(`ECR scan: CRITICAL 2, HIGH 3 in ${REPOSITORY}:v1.2 (linux/arm64)`);
    expect(build({ imageTags: [], imageIndex: { ...imageIndex, tags: [] } }).subject).toContain(`${REPOSITORY}@sha256:7f5b2640fe6f`);
    // A tagged image keeps its own tag.
    expect(build({ imageIndex }).subject).toContain(`${REPOSITORY}:v1.4.2`);
  });

  test('a FAILED scan says so', () => {
    const { subject } = build({ scanStatus: 'FAILED', counts: {} });
    expect(subject).toBe(`ECR scan: scan FAILED in ${REPOSITORY}:v1.4.2`);
  });

  test('a FAILED scan names no count, even when its event carried counts and its news named findings', () => {
    const news = { reportOn: 'NEW_FINDINGS' as const, reason: 'newly-failed' as const, newFindings: [{ id: 'CVE-2026-1001', severity: 'HIGH' }] };
    const { subject } = build({ scanStatus: 'FAILED', counts: { CRITICAL: 2, HIGH: 3 }, news });
    expect(subject).toBe(`ECR scan: scan FAILED in ${REPOSITORY}:v1.4.2`);
  });

  test('all six breached with huge counts: the subject still starts with the worst level', () => {
    const { subject } = build({ counts: ALL_SIX, thresholds: ALL_SIX_THRESHOLDS, repositoryName: LONG_REPOSITORY });
    expect(subject).toMatch(/^ECR scan: CRITICAL 1000000000/);
    expect(subject.endsWith('...')).toBe(true);
  });

  test('a cut repository reference is marked as cut', () => {
    const { subject } = build({ repositoryName: LONG_REPOSITORY });
    expect(subject).toContain(LONG_REPOSITORY.slice(0, 40));
    expect(subject.endsWith('...')).toBe(true);
  });

  test('buildSubject alone gives the same subject as the full message', () => {
    const input = makeInput({ imageTags: ['ü'] });
    expect(buildSubject(input)).toBe(buildReportMessage(input, { maxFindings: 20 }).subject);
    expect(buildSubject(input)).toMatch(PRINTABLE_ASCII);
  });
});

describe('text body', () => {
  const FINDINGS: Finding[] = [
    { id: 'CVE-2022-40897', severity: 'MEDIUM', packageName: 'setuptools', packageVersion: '52.0.0-4', url: 'https://security-tracker.debian.org/tracker/CVE-2022-40897' },
    { id: 'CVE-2023-44487', severity: 'HIGH', packageName: 'nghttp2', packageVersion: '1.43.0-1', url: 'https://security-tracker.debian.org/tracker/CVE-2023-44487', score: 7.5 },
    { id: 'CVE-2024-3094', severity: 'CRITICAL', packageName: 'xz-utils', packageVersion: '5.6.0-0.2', url: 'https://security-tracker.debian.org/tracker/CVE-2024-3094', score: 10 },
    { id: 'CVE-2023-4863', severity: 'HIGH', packageName: 'libwebp', packageVersion: '0.6.1-2.1', url: 'https://security-tracker.debian.org/tracker/CVE-2023-4863', score: 8.8 },
  ];

  test('names the repository, tags, digest, account and region', () => {
    const { text } = build();
    expect(text).toMatch(/Repository:\s+team\/payments-api$/m);
    expect(text).toMatch(/Tags:\s+v1\.4\.2, latest$/m);
    expect(text).toContain(`Digest:      ${DIGEST}`);
    expect(text).toContain(ACCOUNT);
    expect(text).toContain('us-east-1');
  });

  test('an untagged image reads "(untagged)"', () => {
    expect(build({ imageTags: [] }).text).toMatch(/Tags:\s+\(untagged\)$/m);
  });

  test('a platform image reads as its index names it, with the index\'s tags and digest; the JSON form carries the index', () => {
    const imageIndex = { digest: `sha256:${'c'.repeat(64)}`, tags: ['v1.2', 'latest'], platform: 'linux/arm64' };
    const message = build({ imageTags: [], imageIndex });
    expect(message.text).toContain('Image:       v1.2 (linux/arm64), the linux/arm64 image of an index');
    expect(message.text).toMatch(/^Index tags:  v1\.2, latest$/m);
    expect(message.text).toContain(`Index:       ${imageIndex.digest}`);
    expect(message.text).not.toMatch(/^Tags:/m);
    expect(message.document.imageIndex).toEqual({ ...imageIndex, label: 'v1.2 (linux/arm64)' });
    expect(message.document.imageTags).toEqual([]);
    expect(build({ imageTags: [] }).document).not.toHaveProperty('imageIndex');
  });

  test('each evaluated count stands against its threshold; reached ones are marked', () => {
    const { text } = build({ counts: { CRITICAL: 2, HIGH: 3, MEDIUM: 7 }, thresholds: { CRITICAL: 5, HIGH: 1 } });
    const line = (severity: string) => text.split('\n').find((l) => l.startsWith(`${severity} `)) ?? '';
    expect(line('CRITICAL')).toMatch(/^CRITICAL\s+2\s+5$/);
    expect(line('HIGH')).toMatch(/^HIGH\s+3\s+1\s+reached$/);
    // MEDIUM is counted but not evaluated: no threshold, never "reached".
    expect(line('MEDIUM')).toMatch(/^MEDIUM\s+7\s+-$/);
  });

  test('an evaluated level without findings shows a count of 0', () => {
    const { text } = build({ counts: { HIGH: 1 }, thresholds: { CRITICAL: 1, HIGH: 1 } });
    expect(text).toMatch(/^CRITICAL\s+0\s+1$/m);
    expect(text).toMatch(/^HIGH\s+1\s+1\s+reached$/m);
  });

  test('the first line says which thresholds were reached', () => {
    const { text } = build({ counts: { CRITICAL: 2, HIGH: 3 }, thresholds: { CRITICAL: 1, HIGH: 1 } });
    expect(text.split('\n')[0]).toContain('2 CRITICAL (threshold 1)');
    expect(text.split('\n')[0]).toContain('3 HIGH (threshold 1)');
  });

  test('top findings are listed most severe first, with id, severity, package, version and link', () => {
    const { text } = build({ findings: FINDINGS, counts: { CRITICAL: 1, HIGH: 2, MEDIUM: 1 } });
    const order = ['CVE-2024-3094', 'CVE-2023-4863', 'CVE-2023-44487', 'CVE-2022-40897'].map((id) => text.indexOf(id));
    for (const index of order) expect(index).toBeGreaterThan(-1);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const f of FINDINGS) {
      const start = text.indexOf(f.id);
      const entry = text.slice(text.lastIndexOf('\n', start) + 1, text.indexOf('\n', text.indexOf('\n', start) + 1));
      expect(entry).toContain(f.severity);
      expect(entry).toContain(`${f.packageName} ${f.packageVersion}`);
      expect(entry).toContain(f.url);
    }
    expect(text).toContain('Top findings (4 of 4)');
    expect(text).not.toContain('more, not listed');
  });

  test.each<[string, Partial<Finding>, string]>([
    ['fix and exploit available, with EPSS', { fixAvailable: 'YES', exploitAvailable: 'YES', epssScore: 0.97 }, '(score 9.8, fix available, exploit available, EPSS 0.97)'],
    ['a partial fix', { fixAvailable: 'PARTIAL' }, '(score 9.8, fix available for some packages)'],
    ['no fix, no known exploit', { fixAvailable: 'NO', exploitAvailable: 'NO' }, '(score 9.8, no fix yet)'],
  ])('Amazon Inspector\'s signals follow the score: %s', (_what, signals, note) => {
    const findings: Finding[] = [{ id: 'CVE-2024-0001', severity: 'CRITICAL', packageName: 'busybox', score: 9.8, ...signals }];
    const { text, document } = build({ findings, counts: { CRITICAL: 1 } });
    expect(text.split('\n').find((l) => l.includes('CVE-2024-0001'))).toMatch(new RegExp(`CVE-2024-0001 busybox ${note.replace(/[().]/g, '\\$&')}$`));
    expect(document.findings[0]).toMatchObject(signals);
  });

  test('a finding without version, link or package is listed with what it has', () => {
    const findings: Finding[] = [
      { id: 'CVE-2024-0001', severity: 'CRITICAL', packageName: 'busybox', score: 9.8 },
      { id: 'CVE-2024-0002', severity: 'HIGH' },
    ];
    const { text } = build({ findings, counts: { CRITICAL: 1, HIGH: 1 } });
    const lines = text.split('\n');
    const first = lines.findIndex((l) => l.includes('CVE-2024-0001'));
    const second = lines.findIndex((l) => l.includes('CVE-2024-0002'));
    expect(lines[first]).toMatch(/CRITICAL\s+CVE-2024-0001 busybox \(score 9\.8\)$/);
    expect(lines[second]).toMatch(/HIGH\s+CVE-2024-0002$/);
    // No link line between the two entries.
    expect(second).toBe(first + 1);
  });


  test('scan completion and vulnerability data times are given in ISO 8601', () => {
    const message = build({
      scanCompletedAt: new Date('2026-11-26T02:36:41.000Z'),
      vulnerabilitySourceUpdatedAt: new Date('2026-11-25T18:04:12.000Z'),
    });
    expect(message.text).toContain('2026-11-26T02:36:41.000Z');
    expect(message.text).toContain('2026-11-25T18:04:12.000Z');
    expect(message.document.scanCompletedAt).toBe('2026-11-26T02:36:41.000Z');
    expect(message.document.vulnerabilitySourceUpdatedAt).toBe('2026-11-25T18:04:12.000Z');
  });

  test('findingsUnavailableReason is shown instead of a list', () => {
    const reason = 'AccessDeniedException: not authorized to perform ecr:DescribeImageScanFindings';
    const message = build({ findingsUnavailableReason: reason, findings: [] });
    expect(message.text).toContain(reason);
    expect(message.text).not.toContain('Top findings');
    expect(message.document.findingsUnavailableReason).toBe(reason);
  });

  test('more than 50 tags: 50 listed, the rest counted', () => {
    const tags = Array.from({ length: 63 }, (_, i) => `tag-${String(i + 1).padStart(3, '0')}`);
    const message = build({ imageTags: tags });
    expect(message.document.imageTags).toEqual(tags.slice(0, 50));
    expect(message.document.imageTagsOmitted).toBe(13);
    const tagsLine = message.text.split('\n').find((l) => l.startsWith('Tags:')) ?? '';
    expect(tagsLine).toContain('tag-001, tag-002');
    expect(tagsLine).toContain('tag-050');
    expect(message.text).not.toContain('tag-051');
    expect(tagsLine).toMatch(/tag-050 and 13 more$/);
    expect(message.subject).toContain(':tag-001');
  });

  test('exactly 50 tags: all listed, none counted as more', () => {
    const tags = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const message = build({ imageTags: tags });
    expect(message.document.imageTags).toEqual(tags);
    expect(message.document.imageTagsOmitted).toBe(0);
    const tagsLine = message.text.split('\n').find((l) => l.startsWith('Tags:')) ?? '';
    expect(tagsLine).toContain('t49');
    expect(tagsLine).not.toContain('more');
  });
});

describe('a FAILED scan: the failure and its reason, no counts', () => {
  const UNSUPPORTED = 'UnsupportedImageError: The operating system and/or package manager are not supported.';
  const IN_USE: ReportInUse = { status: 'running', places: [{ kind: 'lambda', name: 'resize-images' }], placesOmitted: 0, summary: 'Running in: Lambda resize-images' };
  const failed = (overrides: Overrides = {}) => build({ scanStatus: 'FAILED', counts: {}, ...overrides });
  /** A severity row of the table ("CRITICAL 0 1"), or a count against a threshold in the lead ("0 HIGH (threshold 1)"). */
  const COUNT_ROW = /^(CRITICAL|HIGH|MEDIUM|LOW|INFORMATIONAL|UNDEFINED)\s+\d/m;

  test('the whole text, with the reason, what it means, the image, the owner and where it runs', () => {
    const { text } = failed({ statusDescription: UNSUPPORTED, owner: 'team-payments', inUse: IN_USE });
    expect(text.split('\n')).toEqual([
      `The scan FAILED: ${UNSUPPORTED}`,
      '',
      'No findings are known for this image until a scan completes: this report has no severity counts, which does not mean it has no vulnerabilities.',
      'The rescan schedule tries again (ECR allows one scan per image per 24 hours).',
      '',
      `Repository:  ${REPOSITORY}`,
      'Tags:        v1.4.2, latest',
      `Digest:      ${DIGEST}`,
      `Account:     ${ACCOUNT} (us-east-1)`,
      'Scan status: FAILED',
      'Owner:       team-payments',
      'In use:      Running in: Lambda resize-images',
      '',
      `The scan in the ECR console: ${consoleUrl('us-east-1', ACCOUNT, REPOSITORY, DIGEST)}`,
      '',
      'Sent by cdk-ecr-scan-reporter.',
    ]);
  });

  test.each<[string, Overrides, string]>([
    ['ECR\'s description', { statusDescription: UNSUPPORTED }, UNSUPPORTED],
    ['no description', {}, 'no reason given'],
    ['an empty description', { statusDescription: '  ' }, 'no reason given'],
    ['counts in the event (another producer\'s)', { statusDescription: 'Unable to retrieve the image layers.', counts: { CRITICAL: 2, HIGH: 0, LOW: 4 } }, 'Unable to retrieve the image layers.'],
    ['findings passed in', { findings: manyFindings(3, { urlLength: 20 }), counts: { CRITICAL: 3 } }, 'no reason given'],
  ])('%s: the reason leads, and no severity table, count or finding appears', (_label, overrides, reason) => {
    const { text, findingsListed, findingsOmitted } = failed(overrides);
    expect(text.split('\n')[0]).toBe(`The scan FAILED: ${reason}`);
    expect(text).not.toMatch(COUNT_ROW);
    expect(text).not.toMatch(/CRITICAL 0|HIGH 0|[Tt]hreshold|Severity\s+Count|Top findings|CVE-/);
    expect(text).toContain('No findings are known for this image until a scan completes');
    expect([findingsListed, findingsOmitted]).toEqual([0, 0]);
  });

  test('the same thresholds on a COMPLETE scan without findings do show the zero rows, so the check above can fail', () => {
    expect(build({ counts: {}, thresholds: { CRITICAL: 0, HIGH: 1 } }).text).toMatch(COUNT_ROW);
  });

  test('findings that could not be read: said as scan details, not as findings', () => {
    const { text } = failed({ findingsUnavailableReason: 'ScanNotFoundException: no scan found' });
    expect(text).toContain('\nScan details could not be read: ScanNotFoundException: no scan found\n');
    expect(text).not.toContain('Findings could not be listed');
  });
});

describe('JSON form and SNS message', () => {
  const findings = basicResponse.imageScanFindings.findings.map((f) => fromBasicFinding(f));

  function fromEvent(raw: unknown, extra: Partial<ReportMessageInput> = {}): ReportMessageInput {
    const event = parseScanEvent(raw);
    const counts = normalizeCounts(event.rawSeverityCounts).counts;
    const thresholds: Thresholds = { CRITICAL: 1, HIGH: 1 };
    return {
      repositoryName: event.repositoryName,
      imageDigest: event.imageDigest,
      imageTags: event.imageTags,
      scanStatus: event.scanStatus,
      accountId: event.accountId,
      region: event.region,
      counts,
      thresholds,
      decision: decideReport({ scanStatus: event.scanStatus, counts, thresholds, notifyOnScanFailure: true }),
      findings: [],
      ...extra,
    };
  }

  test('the document has the documented fields, from a real COMPLETE event', () => {
    const message = buildReportMessage(fromEvent(completeEvent, { findings, scanCompletedAt: new Date('2026-11-26T02:36:41Z') }), { maxFindings: 20 });
    const doc = message.document;
    expect(doc).toMatchObject({
      version: 1,
      source: 'cdk-ecr-scan-reporter',
      reason: 'threshold-reached',
      repositoryName: 'team/payments-api',
      imageDigest: completeEvent.detail['image-digest'],
      imageTags: ['v1.4.2', 'latest'],
      imageTagsOmitted: 0,
      scanStatus: 'COMPLETE',
      accountId: '123456789012',
      region: 'us-east-1',
      highestSeverity: 'CRITICAL',
      severityCounts: { CRITICAL: 2, HIGH: 3, MEDIUM: 9, LOW: 14 },
      thresholds: { CRITICAL: 1, HIGH: 1 },
      evaluations: [
        { severity: 'CRITICAL', count: 2, threshold: 1, breached: true },
        { severity: 'HIGH', count: 3, threshold: 1, breached: true },
      ],
      // The event counts 28 findings; only 4 could be read: the known total is 28.
      totalFindings: 28,
      findingsOmitted: 24,
      scanCompletedAt: '2026-11-26T02:36:41.000Z',
      consoleUrl: consoleUrl('us-east-1', '123456789012', 'team/payments-api', completeEvent.detail['image-digest']),
    });
    expect(doc).not.toHaveProperty('failure');
    expect(doc.findings.map((f) => f.id)).toEqual(['CVE-2024-3094', 'CVE-2023-4863', 'CVE-2023-44487', 'CVE-2022-40897']);
    expect(message.findingsListed).toBe(4);
    expect(message.findingsOmitted).toBe(24);
    expect(message.text).toContain('... and 24 more');
  });

  test('snsMessage is MessageStructure json: default is the document, email is the text', () => {
    const message = buildReportMessage(fromEvent(completeEvent, { findings }), { maxFindings: 20 });
    const outer = JSON.parse(message.snsMessage);
    expect(Object.keys(outer).sort()).toEqual(['default', 'email']);
    expect(typeof outer.default).toBe('string');
    expect(outer.email).toBe(message.text);
    const inner = JSON.parse(outer.default);
    expect(inner).toEqual(JSON.parse(JSON.stringify(message.document)));
    expect(inner.version).toBe(1);
    expect(inner.repositoryName).toBe('team/payments-api');
    expect(inner.findings).toHaveLength(4);
  });

  test('attributes for subscription filter policies: kind, repository, highestSeverity, scanStatus', () => {
    const message = buildReportMessage(fromEvent(completeEvent), { maxFindings: 20 });
    expect(message.attributes).toEqual({
      kind: { DataType: 'String', StringValue: 'report' },
      repository: { DataType: 'String', StringValue: 'team/payments-api' },
      highestSeverity: { DataType: 'String', StringValue: 'CRITICAL' },
      scanStatus: { DataType: 'String', StringValue: 'COMPLETE' },
    });
  });

  /** Every number in a JSON value, by path: the counts a subscriber would read. */
  function numbers(value: unknown, path = ''): string[] {
    if (typeof value === 'number') return [path];
    if (value === null || typeof value !== 'object') return [];
    return Object.entries(value).flatMap(([key, inner]) => numbers(inner, path ? `${path}.${key}` : key));
  }

  test('a real FAILED event: reason scan-failed, status FAILED, the failure with its reason, no counts (null, not zero)', () => {
    const message = buildReportMessage(fromEvent(failedEvent), { maxFindings: 20 });
    expect(message.document).toMatchObject({
      reason: 'scan-failed',
      scanStatus: 'FAILED',
      region: 'eu-west-1',
      highestSeverity: 'UNKNOWN',
      severityCounts: null,
      evaluations: null,
      totalFindings: null,
      findings: [],
      findingsOmitted: null,
      failure: { reason: 'no reason given' },
      thresholds: { CRITICAL: 1, HIGH: 1 },
    });
    // What a subscriber receives: the only numbers are the format version, the tags left out and the thresholds.
    const received = JSON.parse(JSON.parse(message.snsMessage).default);
    expect(numbers(received).sort()).toEqual(['imageTagsOmitted', 'thresholds.CRITICAL', 'thresholds.HIGH', 'version']);
    expect(received).toMatchObject({ severityCounts: null, evaluations: null, totalFindings: null, findingsOmitted: null });
    expect(message.attributes).toEqual({
      kind: { DataType: 'String', StringValue: 'report' },
      repository: { DataType: 'String', StringValue: 'batch-worker' },
      highestSeverity: { DataType: 'String', StringValue: 'UNKNOWN' },
      scanStatus: { DataType: 'String', StringValue: 'FAILED' },
    });
    expect(message.subject).toBe('ECR scan: scan FAILED in batch-worker:2026.11.26');
  });

  test('a FAILED event with ECR\'s description and the ledger\'s news: the reason in failure, no new-findings count anywhere', () => {
    const description = 'UnsupportedImageError: The operating system and/or package manager are not supported.';
    const news = { reportOn: 'NEW_FINDINGS' as const, reason: 'newly-failed' as const, newFindings: [], previousReportAt: new Date('2026-11-24T03:04:11.000Z') };
    const message = buildReportMessage(fromEvent(failedEvent, { statusDescription: description, news, owner: null }), { maxFindings: 20 });
    expect(message.document).toMatchObject({
      statusDescription: description,
      failure: { reason: description },
      news: 'newly-failed',
      newFindings: [],
      newFindingsCount: null,
      owner: null,
    });
    expect(numbers(JSON.parse(JSON.parse(message.snsMessage).default)).sort()).toEqual(['imageTagsOmitted', 'thresholds.CRITICAL', 'thresholds.HIGH', 'version']);
    // No `newFindings` 0 for filter policies on a count: nothing is known to be new, or not.
    expect(message.attributes).toEqual({
      kind: { DataType: 'String', StringValue: 'report' },
      repository: { DataType: 'String', StringValue: 'batch-worker' },
      highestSeverity: { DataType: 'String', StringValue: 'UNKNOWN' },
      scanStatus: { DataType: 'String', StringValue: 'FAILED' },
      owner: { DataType: 'String', StringValue: 'UNOWNED' },
    });
  });

  test('a COMPLETE report has no failure, and numbers where a FAILED one has null', () => {
    const message = buildReportMessage(fromEvent(completeEvent, { findings }), { maxFindings: 20 });
    expect(message.document.failure).toBeUndefined();
    expect(numbers(message.document)).toEqual(expect.arrayContaining(['severityCounts.CRITICAL', 'evaluations.0.count', 'totalFindings', 'findingsOmitted']));
  });

  test('a real untagged event without counts: "(untagged)" and digest in the subject', () => {
    const input = fromEvent(untaggedEvent);
    // Threshold 0 so that the scan is reported although it found nothing.
    const thresholds: Thresholds = { HIGH: 0 };
    const decision = decideReport({ scanStatus: input.scanStatus, counts: input.counts, thresholds, notifyOnScanFailure: true });
    expect(decision.due).toBe(true);
    const message = buildReportMessage({ ...input, thresholds, decision }, { maxFindings: 20 });
    expect(message.document.imageTags).toEqual([]);
    expect(message.document.severityCounts).toEqual({});
    expect(message.text).toMatch(/Tags:\s+\(untagged\)/);
    expect(message.subject).toContain('base-images/distroless@sha256:9e8d7c6b5a4f');
    expect(message.document.consoleUrl.startsWith('https://us-west-2.console.aws.amazon.com/')).toBe(true);
  });

  test('an empty scan status is sent as the attribute value UNKNOWN, since SNS rejects empty values', () => {
    const message = build({ scanStatus: '' });
    expect(message.attributes.scanStatus.StringValue).toBe('UNKNOWN');
  });
});

describe('size', () => {
  // 20,000 findings, each with a long link and package name: far more than 256 KiB.
  const TOTAL = 20_000;
  const BIG_COUNTS: SeverityCounts = { CRITICAL: 5_000, HIGH: 5_000, MEDIUM: 5_000, LOW: 5_000 };
  const big = manyFindings(TOTAL);

  let defaultLimited: ReportMessage;
  beforeAll(() => {
    defaultLimited = build({ findings: big, counts: BIG_COUNTS }, { maxFindings: TOTAL });
  });

  test('the default limit is the SNS Publish limit', () => {
    expect(SNS_MAX_PUBLISH_BYTES).toBe(PUBLISH_LIMIT);
  });

  test('20,000 long findings: the message fits in 262,144 bytes, attributes included', () => {
    expect(defaultLimited.bytes).toBeLessThanOrEqual(PUBLISH_LIMIT);
    expect(Buffer.byteLength(defaultLimited.snsMessage, 'utf8') + attributeBytes(defaultLimited.attributes)).toBe(defaultLimited.bytes);
  });

  test('20,000 long findings: listed plus omitted is the known total, and the text says how many were left out', () => {
    expect(defaultLimited.findingsListed).toBeGreaterThan(0);
    expect(defaultLimited.findingsListed).toBeLessThan(TOTAL);
    expect(defaultLimited.findingsListed + defaultLimited.findingsOmitted).toBe(TOTAL);
    expect(defaultLimited.document.findings).toHaveLength(defaultLimited.findingsListed);
    expect(defaultLimited.document.findingsOmitted).toBe(defaultLimited.findingsOmitted);
    expect(defaultLimited.document.totalFindings).toBe(TOTAL);
    expect(defaultLimited.text).toContain(`... and ${defaultLimited.findingsOmitted} more`);
    expect(defaultLimited.text).toContain(`Top findings (${defaultLimited.findingsListed} of ${TOTAL})`);
  });

  test('20,000 long findings: as many as fit are listed (one more would not fit)', () => {
    const oneMore = build({ findings: big, counts: BIG_COUNTS }, { maxFindings: defaultLimited.findingsListed + 1, maxBytes: 100 * PUBLISH_LIMIT });
    expect(oneMore.findingsListed).toBe(defaultLimited.findingsListed + 1);
    expect(oneMore.bytes).toBeGreaterThan(PUBLISH_LIMIT);
  });

  test('20,000 long findings: the listed ones are the most severe', () => {
    // 5,000 CRITICAL findings exist, far more than fit: every listed one is CRITICAL, highest score first.
    expect(defaultLimited.findingsListed).toBeLessThan(5_000);
    expect(defaultLimited.document.findings.every((f) => f.severity === 'CRITICAL')).toBe(true);
    const scores = defaultLimited.document.findings.map((f) => f.score ?? -1);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  test('a tiny maxBytes cuts the list harder, and still respects the limit', () => {
    const bare = build({ findings: big, counts: BIG_COUNTS }, { maxFindings: 0 });
    const maxBytes = bare.bytes + 5_000;
    const tiny = build({ findings: big, counts: BIG_COUNTS }, { maxFindings: TOTAL, maxBytes });
    expect(tiny.bytes).toBeLessThanOrEqual(maxBytes);
    expect(tiny.findingsListed).toBeGreaterThan(0);
    expect(tiny.findingsListed).toBeLessThan(defaultLimited.findingsListed);
    expect(tiny.findingsListed + tiny.findingsOmitted).toBe(TOTAL);
    const oneMore = build({ findings: big, counts: BIG_COUNTS }, { maxFindings: tiny.findingsListed + 1, maxBytes: 100 * PUBLISH_LIMIT });
    expect(oneMore.bytes).toBeGreaterThan(maxBytes);
  });

  test('a maxBytes below the size of a report without findings is an error naming both sizes', () => {
    expect(() => build({}, { maxFindings: 20, maxBytes: 500 })).toThrow(/over the 500-byte limit/);
  });

  test('maxFindings caps the list when size does not', () => {
    const findings = manyFindings(30, { urlLength: 20 });
    const message = build({ findings, counts: { CRITICAL: 8, HIGH: 8, MEDIUM: 7, LOW: 7 } }, { maxFindings: 5 });
    expect(message.findingsListed).toBe(5);
    expect(message.findingsOmitted).toBe(25);
    expect(message.document.findings).toHaveLength(5);
    expect(message.document.findings.every((f) => f.severity === 'CRITICAL')).toBe(true);
    expect(message.text).toContain('Top findings (5 of 30)');
    expect(message.text).toContain('... and 25 more');
  });

  test('maxFindings 0 lists none and counts all', () => {
    const message = build({ findings: manyFindings(12, { urlLength: 20 }), counts: { CRITICAL: 3, HIGH: 3, MEDIUM: 3, LOW: 3 } }, { maxFindings: 0 });
    expect(message.findingsListed).toBe(0);
    expect(message.findingsOmitted).toBe(12);
    expect(message.document.findings).toEqual([]);
    expect(message.text).toContain('... and 12 more');
  });

  test('counts beyond the findings read: the omitted number covers the findings that could not be read', () => {
    const message = build({ findings: manyFindings(10, { urlLength: 20 }), counts: { CRITICAL: 10, HIGH: 30 } }, { maxFindings: 20 });
    expect(message.findingsListed).toBe(10);
    expect(message.findingsOmitted).toBe(30);
    expect(message.document.totalFindings).toBe(40);
  });

  test('no findings and no counts: no list, nothing omitted', () => {
    const message = build({ findings: [], counts: {}, thresholds: { CRITICAL: 0 } }, { maxFindings: 20 });
    expect(message.findingsListed).toBe(0);
    expect(message.findingsOmitted).toBe(0);
    expect(message.text).not.toContain('Top findings');
  });

  describe('multi-byte content is measured in bytes, not characters', () => {
    // '漢' is one UTF-16 character and three UTF-8 bytes.
    const wide = manyFindings(60, { urlLength: 20, packageName: '漢'.repeat(400) });
    const counts: SeverityCounts = { CRITICAL: 15, HIGH: 15, MEDIUM: 15, LOW: 15 };
    const unlimited = 100 * PUBLISH_LIMIT;

    test('bytes is the UTF-8 size of the message plus attributes', () => {
      const message = build({ findings: wide, counts, imageTags: ['v1-été'] }, { maxFindings: 60, maxBytes: unlimited });
      const utf8 = Buffer.byteLength(message.snsMessage, 'utf8') + attributeBytes(message.attributes);
      expect(message.bytes).toBe(utf8);
      expect(message.bytes).toBeGreaterThan(message.snsMessage.length + attributeChars(message.attributes));
    });

    test('a limit that 10 wide findings fill in bytes lists 10, although 20 would fit counted in characters', () => {
      const ten = build({ findings: wide, counts }, { maxFindings: 10, maxBytes: unlimited });
      const twenty = build({ findings: wide, counts }, { maxFindings: 20, maxBytes: unlimited });
      // Precondition of the test: counted in characters, 20 findings are within the 10-finding byte size.
      expect(twenty.snsMessage.length + attributeChars(twenty.attributes)).toBeLessThanOrEqual(ten.bytes);

      const limited = build({ findings: wide, counts }, { maxFindings: 60, maxBytes: ten.bytes });
      expect(limited.findingsListed).toBe(10);
      expect(limited.bytes).toBeLessThanOrEqual(ten.bytes);
    });

    test('a multi-byte repository attribute counts in bytes too', () => {
      const message = build({ repositoryName: REPOSITORY, imageTags: ['ß'] });
      expect(message.bytes - Buffer.byteLength(message.snsMessage, 'utf8')).toBe(attributeBytes(message.attributes));
    });
  });
});

describe('what is new (the ledger\'s news)', () => {
  const LAST_WEEK = new Date('2026-11-24T03:04:11.000Z');
  const old = (id: string, severity: string, score: number): Finding => ({ id, severity, packageName: 'openssl', packageVersion: '3.0.1', score });
  const CRITICAL_OLD = old('CVE-2024-6387', 'CRITICAL', 9.8);
  const HIGH_OLD = old('CVE-2023-44487', 'HIGH', 7.5);
  const HIGH_NEW = old('CVE-2026-1001', 'HIGH', 7.1);
  const HIGH_NEW_2 = old('CVE-2026-1002', 'HIGH', 7.0);
  const MEDIUM = old('CVE-2022-0001', 'MEDIUM', 5.0);
  const findings = [CRITICAL_OLD, HIGH_OLD, HIGH_NEW, HIGH_NEW_2, MEDIUM];
  const withNews = (news: ReportMessageInput['news'], overrides: Overrides = {}, options: ReportMessageOptions = { maxFindings: 20 }) =>
    build({ counts: { CRITICAL: 1, HIGH: 3, MEDIUM: 1 }, findings, news, ...overrides }, options);
  const newFindings = (previousReportAt?: Date) => ({ reportOn: 'NEW_FINDINGS' as const, reason: 'new-findings' as const, newFindings: [HIGH_NEW, HIGH_NEW_2], previousReportAt });

  test('the message leads with what is new, naming each new finding, since the previous report', () => {
    const message = withNews(newFindings(LAST_WEEK));
    expect(message.text.split('\n')[0]).toBe('2 new since the report of 2026-11-24: CVE-2026-1001 (HIGH, openssl), CVE-2026-1002 (HIGH, openssl).');
    expect(message.text.split('\n')[2]).toMatch(/^An Amazon ECR image scan found vulnerabilities at or above your thresholds/);
  });

  test('the new findings get their own section, then the rest', () => {
    const text = withNews(newFindings(LAST_WEEK)).text;
    const newAt = text.indexOf('New findings (2 of 2):');
    const otherAt = text.indexOf('Other findings (3 of 3):');
    expect(newAt).toBeGreaterThan(0);
    expect(otherAt).toBeGreaterThan(newAt);
    expect(text.slice(newAt, otherAt)).toContain('CVE-2026-1001');
    expect(text.slice(newAt, otherAt)).not.toContain('CVE-2024-6387');
    expect(text.slice(otherAt)).toContain('CVE-2024-6387');
  });

  test('the subject counts the new findings', () => {
    expect(withNews(newFindings(LAST_WEEK)).subject).toBe(`ECR scan: 2 new, CRITICAL 1, HIGH 3 in ${REPOSITORY}:v1.4.2`);
  });

  test('a first report says so, and its subject stays as before', () => {
    const message = withNews({ reportOn: 'NEW_FINDINGS', reason: 'first-report', newFindings: [CRITICAL_OLD, HIGH_OLD, HIGH_NEW, HIGH_NEW_2] });
    expect(message.text.split('\n')[0]).toBe('First report of this image: 4 finding(s) at or above your thresholds.');
    expect(message.subject).toBe(`ECR scan: CRITICAL 1, HIGH 3 in ${REPOSITORY}:v1.4.2`);
    expect(message.text).toContain('Top findings (5 of 5):');
  });

  test('EVERY_SCAN with nothing new: no lead line, the report reads as before', () => {
    const plain = build({ counts: { CRITICAL: 1, HIGH: 3, MEDIUM: 1 }, findings });
    const message = withNews({ reportOn: 'EVERY_SCAN', reason: 'every-scan', newFindings: [], previousReportAt: LAST_WEEK });
    expect(message.text).toBe(plain.text);
    expect(message.subject).toBe(plain.subject);
  });

  test('new findings are listed before more severe old ones when only some fit', () => {
    const message = withNews(newFindings(LAST_WEEK), {}, { maxFindings: 2 });
    expect(message.document.findings.map((f) => f.id)).toEqual(['CVE-2026-1001', 'CVE-2026-1002']);
    expect(message.findingsOmitted).toBe(3);
  });

  test('the JSON form carries the news, the listed new findings and their count', () => {
    const document = withNews(newFindings(LAST_WEEK), {}, { maxFindings: 1 }).document;
    expect(document).toMatchObject({
      reportOn: 'NEW_FINDINGS',
      news: 'new-findings',
      newFindingsCount: 2,
      previousReportAt: '2026-11-24T03:04:11.000Z',
    });
    expect(document.newFindings).toEqual([HIGH_NEW]);
    expect(document.findings).toEqual([HIGH_NEW]);
  });

  test('the attributes carry the count and the listed new ids, for filter policies', () => {
    const message = withNews(newFindings(LAST_WEEK));
    expect(message.attributes.newFindings).toEqual({ DataType: 'Number', StringValue: '2' });
    expect(message.attributes.newFindingIds).toEqual({ DataType: 'String.Array', StringValue: '["CVE-2026-1001","CVE-2026-1002"]' });
  });

  test('every attribute at once is 8, within the 10 an SQS subscription with raw message delivery takes (SNS drops a message with more)', () => {
    const running: ReportInUse = { status: 'running', places: [{ kind: 'lambda', name: 'resize-images' }], placesOmitted: 0, summary: 'Running in: Lambda resize-images' };
    const message = withNews(newFindings(LAST_WEEK), { owner: 'team-payments', inUse: running });
    expect(Object.keys(message.attributes).sort()).toEqual(['highestSeverity', 'inUse', 'kind', 'newFindingIds', 'newFindings', 'owner', 'repository', 'scanStatus']);
  });

  test('no new id listed: no newFindingIds attribute (SNS takes no empty value), the count still given', () => {
    const message = withNews(newFindings(LAST_WEEK), {}, { maxFindings: 0 });
    expect(message.attributes.newFindingIds).toBeUndefined();
    expect(message.attributes.newFindings).toEqual({ DataType: 'Number', StringValue: '2' });
  });

  test('without news (a report built without the ledger), nothing of it appears', () => {
    const message = build({ counts: { CRITICAL: 1, HIGH: 3, MEDIUM: 1 }, findings });
    expect(Object.keys(message.attributes).sort()).toEqual(['highestSeverity', 'kind', 'repository', 'scanStatus']);
    expect(message.document.news).toBeUndefined();
    expect(message.document.newFindings).toBeUndefined();
  });

  test('20,000 new findings: still within SNS\'s limit with the attributes, the new ids listed as far as they fit', () => {
    const many = manyFindings(20_000);
    const message = build(
      { counts: { CRITICAL: 5000, HIGH: 5000, MEDIUM: 5000, LOW: 5000 }, findings: many, news: { reportOn: 'NEW_FINDINGS', reason: 'new-findings', newFindings: many, previousReportAt: LAST_WEEK } },
      { maxFindings: 1000 },
    );
    expect(message.bytes).toBeLessThanOrEqual(PUBLISH_LIMIT);
    expect(Buffer.byteLength(message.snsMessage, 'utf8') + attributeBytes(message.attributes)).toBe(message.bytes);
    expect(JSON.parse(message.attributes.newFindingIds.StringValue)).toHaveLength(message.findingsListed);
    expect(message.document.newFindingsCount).toBe(20_000);
  });
});
