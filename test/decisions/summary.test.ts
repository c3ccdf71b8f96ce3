import { LedgerEntry, ScanRecord } from '../../src/decisions/ledger';
import { SummaryBuilder, SummaryOptions, highestLevel } from '../../src/decisions/summary';
import { buildSummaryMessage, summaryMarkdown, summaryText } from '../../src/decisions/summary-message';

const NOW = new Date('2026-12-07T08:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const MARKER = { startedAt: new Date(NOW.getTime() - 2 * 3600_000), completedAt: new Date(NOW.getTime() - 3600_000) };
const OPTIONS: SummaryOptions = { now: NOW, periodMs: 7 * DAY, inUse: { discoveryOn: true, holdMs: 49 * 3600_000, marker: MARKER } };

let next = 0;
interface EntryParts extends Partial<LedgerEntry> {
  readonly completed?: { daysAgo: number; counts: Record<string, number>; ids?: string[] };
  readonly running?: boolean;
}

function entry(repositoryName: string, parts: EntryParts = {}): LedgerEntry {
  const { completed, running, ...rest } = parts;
  const scan: ScanRecord | undefined = completed
    ? { status: 'COMPLETE', observedAt: ago(completed.daysAgo), source: 'scan-event', completedAt: ago(completed.daysAgo), severityCounts: completed.counts, ...(completed.ids ? { findingIds: completed.ids } : {}) }
    : undefined;
  return {
    repositoryName,
    imageDigest: digest(++next),
    imageTags: [`v${next}`],
    version: 1,
    ...(scan ? { scan } : {}),
    ...(running ? { inUse: [{ kind: 'ecs-service' as const, name: 'svc', cluster: 'prod', count: 2, seenAt: new Date(NOW.getTime() - 1800_000) }] } : {}),
    ...rest,
  };
}

/** A registry whose every figure is known: shop/api worst (2 critical, one running), shop/web next, tools clean. */
function registry(): LedgerEntry[] {
  return [
    entry('shop/api', {
      completed: { daysAgo: 1, counts: { CRITICAL: 1, HIGH: 2 }, ids: ['CVE-2026-0001', 'CVE-2026-0002'] },
      running: true,
      lastReport: { at: ago(1), scanKey: 'k', eventId: 'e', reason: 'new-findings', findingIds: ['CVE-2026-0001'], severityCounts: { CRITICAL: 1 } },
    }),
    entry('shop/api', {
      completed: { daysAgo: 3, counts: { CRITICAL: 2 }, ids: ['CVE-2026-0001'] },
      lastReport: { at: ago(10), scanKey: 'k', eventId: 'e', reason: 'first-report', findingIds: ['CVE-2026-0001', 'CVE-2025-9999'], severityCounts: { CRITICAL: 2 } },
    }),
    entry('shop/api', { completed: { daysAgo: 9, counts: { HIGH: 1 }, ids: ['CVE-2026-0002'] }, running: true }),
    entry('shop/web', {
      completed: { daysAgo: 2, counts: { HIGH: 4, LOW: 1 }, ids: ['CVE-2026-0002'] },
      lastReport: { at: ago(2), scanKey: 'k', eventId: 'e', reason: 'first-report', findingIds: ['CVE-2026-0002'], severityCounts: { HIGH: 4 } },
    }),
    entry('shop/web', { completed: { daysAgo: 2, counts: {} }, deferredOn: '2026-12-06' }),
    entry('tools/ci', { completed: { daysAgo: 4, counts: { MEDIUM: 3 } } }),
    entry('tools/ci', { scan: { status: 'FAILED', observedAt: ago(1), source: 'scan-event', severityCounts: {} } }),
    entry('tools/ci', { scan: { status: 'UNSUPPORTED_IMAGE', observedAt: ago(1), source: 'start-image-scan', severityCounts: {} } }),
    // Not images: an index (what it lists) and an attestation manifest.
    entry('shop/api', { children: { manifests: [], tags: ['v1'] } }),
    entry('shop/api', { index: { digest: digest(999), tags: ['v1'], role: 'attestation' }, completed: { daysAgo: 1, counts: { CRITICAL: 9 } } }),
  ];
}

function build(options: Partial<SummaryOptions> = {}, entries = registry()) {
  const builder = new SummaryBuilder({ ...OPTIONS, ...options });
  entries.forEach((e) => builder.addImage(e));
  return builder;
}

describe('SummaryBuilder, on a ledger whose every figure is known', () => {
  const summary = build().build();

  test('images: tracked (not indexes or attestations), scanned in the period, by highest severity, in use', () => {
    expect(summary.period).toEqual({ from: ago(7).toISOString(), to: NOW.toISOString() });
    expect(summary.images).toEqual({
      tracked: 8,
      scannedInPeriod: 5,
      byHighestSeverity: { CRITICAL: 2, HIGH: 2, MEDIUM: 1, LOW: 0, INFORMATIONAL: 0, NONE: 1, UNSCANNED: 2 },
      inUse: { running: 2, notRunning: 6, unknown: 0 },
      criticalRunning: 1,
    });
  });

  test('news: digests whose first report or new findings fell in the period, latest first; fixed: ids a later scan no longer has', () => {
    expect(summary.news.digests).toBe(2);
    expect(summary.news.latest.map((n) => [n.repositoryName, n.at])).toEqual([['shop/api', ago(1).toISOString()], ['shop/web', ago(2).toISOString()]]);
    // The second shop/api image: reported 10 days ago with two ids, scanned 3 days ago with one.
    expect(summary.fixed).toEqual({ findings: 1, digests: 1 });
  });

  test('top CVEs by images affected, running ones first; worst repositories with their counts', () => {
    expect(summary.topCves).toEqual([
      { id: 'CVE-2026-0002', images: 3, imagesRunning: 2 },
      { id: 'CVE-2026-0001', images: 2, imagesRunning: 1 },
    ]);
    expect(summary.worstRepositories).toEqual([
      { repositoryName: 'shop/api', images: 3, critical: 2, high: 1, running: 2, trend: null },
      { repositoryName: 'shop/web', images: 2, critical: 0, high: 1, running: 0, trend: null },
    ]);
    expect(summary.problems).toEqual({ failed: 1, unsupported: 1, deferred: 1 });
    expect(summary).not.toHaveProperty('coverage');
  });

  test('the trend compares with the previous summary; owners from the cached tag first, then the rules, else null', () => {
    const builder = build({ previous: { at: ago(7), repositories: { 'shop/api': { critical: 3, high: 0 } } }, owners: { rules: [{ pattern: '^shop/', owner: 'shop-team' }] } });
    builder.addOwnerTag('shop/api', 'payments');
    builder.addOwnerTag('shop/web', undefined);
    const [api, web] = builder.build().worstRepositories;
    expect(api).toMatchObject({ owner: 'payments', trend: { critical: -1, high: 1 } });
    expect(web).toMatchObject({ owner: 'shop-team', trend: null });
    const unowned = build({ owners: { rules: [] } }).build().worstRepositories;
    expect(unowned.map((r) => r.owner)).toEqual([null, null]);
    expect(builder.previousForNext()).toEqual({ at: NOW, repositories: { 'shop/api': { critical: 2, high: 1 }, 'shop/web': { critical: 0, high: 1 } } });
  });

  test('accepted risks: those expiring within 14 days, and those that matched nothing for a cycle; expired ones are not named', () => {
    const acceptedRisks = [
      { findingId: 'CVE-2026-0001', reason: 'behind the ALB', expires: '2026-12-15' },
      { findingId: 'CVE-2026-0002', reason: 'not reachable', expires: '2027-06-30', repositoryPattern: '^shop/' },
      { findingId: 'CVE-2020-0001', reason: 'old', expires: '2026-12-01' },
    ];
    const riskRecords = new Map([['CVE-2026-0002#^shop/', { lastMatchedAt: ago(20) }], ['CVE-2026-0001#', { lastMatchedAt: ago(1) }]]);
    const risks = build({ acceptedRisks, riskRecords, unmatchedWindowMs: 8 * DAY }).build().acceptedRisks;
    expect(risks).toEqual({
      expiringSoon: [{ findingId: 'CVE-2026-0001', expires: '2026-12-15' }],
      unmatched: [{ findingId: 'CVE-2026-0002', repositoryPattern: '^shop/' }],
    });
  });

  test('top lists hold at most `top` entries; coverage is carried when the caller knows it', () => {
    const many = Array.from({ length: 30 }, (_, i) => entry(`r/${String(i).padStart(2, '0')}`, { completed: { daysAgo: 1, counts: { CRITICAL: 1 }, ids: [`CVE-2026-${1000 + i}`] } }));
    const summary2 = build({ top: 5, coverage: { repositoriesNotCovered: ['tools/x'], imagesNotMonitored: 3 } }, many).build();
    expect(summary2.topCves).toHaveLength(5);
    expect(summary2.worstRepositories.map((r) => r.repositoryName)).toEqual(['r/00', 'r/01', 'r/02', 'r/03', 'r/04']);
    expect(summary2.coverage).toEqual({ repositoriesNotCovered: ['tools/x'], imagesNotMonitored: 3 });
  });

  test('highestLevel: the worst severity with a finding; NONE without', () => {
    expect(highestLevel({ LOW: 1, HIGH: 2 })).toBe('HIGH');
    expect(highestLevel({ UNDEFINED: 4 })).toBe('NONE');
    expect(highestLevel({})).toBe('NONE');
  });
});

describe('the summary\'s forms', () => {
  const summary = build().build();

  test('text: the headline figures and the top lists', () => {
    const text = summaryText(summary);
    expect(text).toContain('Images tracked:     8 (5 scanned in the period)');
    expect(text).toContain('CRITICAL 2, HIGH 2, MEDIUM 1, LOW 0, INFORMATIONAL 0, NONE 1, UNSCANNED 2');
    expect(text).toContain('  - CVE-2026-0002: 3 images, 2 running');
    expect(text).toContain('  - shop/api: 2 critical, 1 high of 3, 2 running (new in the list)');
    expect(text).not.toContain('Coverage gaps');
  });

  test('markdown: a GitHub job summary with tables; cells escaped', () => {
    const md = summaryMarkdown({ ...summary, worstRepositories: [{ ...summary.worstRepositories[0], repositoryName: 'a|b' }] });
    expect(md).toMatch(/^## ECR registry summary, 2026-11-30 to 2026-12-07$/m);
    expect(md).toContain('| CRITICAL | HIGH | MEDIUM | LOW | INFORMATIONAL | NONE | UNSCANNED |');
    expect(md).toContain('| 2 | 2 | 1 | 0 | 0 | 1 | 2 |');
    expect(md).toContain('| a\\|b |');
  });

  test('the SNS message: the JSON document by default, the text for email, the chat form when asked; kind=summary', () => {
    const message = buildSummaryMessage(summary, { chat: true, accountId: '123456789012', region: 'eu-west-1' });
    expect(message.subject).toBe('ECR summary 2026-11-30 to 2026-12-07: 2 critical images, 1 running, 2 new');
    expect(message.attributes.kind).toEqual({ DataType: 'String', StringValue: 'summary' });
    const sns = JSON.parse(message.snsMessage);
    expect(JSON.parse(sns.default)).toEqual(summary);
    expect(sns.email).toBe(summaryText(summary));
    expect(JSON.parse(sns.https)).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' }, metadata: { eventType: 'EcrScanSummary' } });
    expect(message.bytes).toBeLessThan(20_000);
    expect(JSON.parse(buildSummaryMessage(summary, { accountId: '1', region: 'r' }).snsMessage)).not.toHaveProperty('https');
  });
});
