/**
 * How a report reads: an email-friendly text, a JSON document for machine
 * subscribers, a subject and SNS message attributes, all within SNS's limits.
 *
 * SNS limits (Publish API reference): the message, with its attributes, at most
 * 262,144 bytes; the subject ASCII, no line breaks, under 100 characters.
 * Plain module, no AWS client.
 *
 * A FAILED scan has no counts, which is not the same as zero counts. Its report says that the
 * scan failed and why (ECR's `imageScanStatus.description`, or "no reason given"), and no form
 * of it claims zero findings or a highest severity of NONE:
 *
 * | form | COMPLETE scan | FAILED scan |
 * |---|---|---|
 * | subject | `ECR scan: [2 new, ]CRITICAL 2, HIGH 3 in repo:tag` | `ECR scan: scan FAILED in repo:tag` |
 * | email text | the thresholds reached, the image, the severity table, the findings | `The scan FAILED: <reason>`, what that means, the image; no table, no findings |
 * | JSON document | `severityCounts`, `evaluations`, `totalFindings`, `findingsOmitted`, `newFindingsCount` | those five are null, `failure` is `{ reason }`, `highestSeverity` is `UNKNOWN` |
 * | chat form (chat-message.ts) | the counts against the thresholds | the failure and its reason |
 *
 * Message attributes, for subscription filter policies:
 *
 * | attribute | type | values |
 * |---|---|---|
 * | `kind` | String | `report`; the registry summary (summary-message.ts) publishes `summary` to the same topic |
 * | `repository` | String | the repository name |
 * | `scanStatus` | String | `COMPLETE` or `FAILED`; `UNKNOWN` when the event had none (SNS takes no empty value) |
 * | `highestSeverity` | String | `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `INFORMATIONAL`, `UNDEFINED`; `NONE` when a COMPLETE scan found nothing; `UNKNOWN` when the scan FAILED |
 * | `owner` | String | the owning team, `UNOWNED` when none does; only when the report knows owners |
 * | `inUse` | String | `running`, `not-running`, `unknown`; only when the report knows where images run |
 * | `newFindings` | Number | how many findings are new; absent when the scan FAILED (nothing is known to be new or not) |
 * | `newFindingIds` | String.Array | the new finding ids listed; absent when none is listed |
 *
 * So `{"highestSeverity": ["CRITICAL", "HIGH"]}` and `{"newFindings": [{"numeric": [">", 0]}]}` let no
 * failure through; `{"scanStatus": ["FAILED"]}` selects the failures, and
 * `{"highestSeverity": [{"anything-but": ["NONE"]}]}` passes them with the findings. Every report has
 * `kind`, so `{"kind": ["report"]}` leaves the weekly summary out and `{"kind": ["summary"]}` takes only it.
 */
import { buildChatNotification } from './chat-message';
import { Finding, compareFindings } from './findings';
import { platformImageLabel } from './image-index';
import { UNOWNED } from './owners';
import { ReportDecision, SeverityCounts, Thresholds, orderedSeverityNames } from './report';
import { NewsReason, ReportOnMode } from './report-on';

export const SNS_MAX_PUBLISH_BYTES = 262_144;
export const SNS_MAX_SUBJECT_LENGTH = 99;
/** Tags listed in a report; the rest are counted. */
export const MAX_TAGS_LISTED = 50;

export interface ReportMessageInput {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: readonly string[];
  readonly scanStatus: string;
  readonly accountId: string;
  readonly region: string;
  readonly counts: SeverityCounts;
  readonly thresholds: Thresholds;
  readonly decision: ReportDecision;
  /** Findings as read from DescribeImageScanFindings, any order. */
  readonly findings: readonly Finding[];
  /** `imageScanStatus.description`, e.g. why a scan failed. */
  readonly statusDescription?: string;
  readonly scanCompletedAt?: Date;
  readonly vulnerabilitySourceUpdatedAt?: Date;
  /** Set when findings could not be read; the report says so. */
  readonly findingsUnavailableReason?: string;
  /** What is new in this scan, by the ledger (report-on.ts); absent: the report says nothing about news. */
  readonly news?: ReportNews;
  /** Where the image runs; absent: the report says nothing about it. */
  readonly inUse?: ReportInUse;
  /** The repository's owner, null when nobody owns it; absent: the report says nothing about owners. */
  readonly owner?: string | null;
  /** The accepted risks that left findings out (`findings` and `counts` are without them). */
  readonly acceptedRisks?: ReportAcceptedRisks;
  /** For a platform image: the image index that lists it (image-index.ts), whose tags name it. */
  readonly imageIndex?: ReportImageIndex;
}

/** The image index that lists a platform image, in a report. */
export interface ReportImageIndex {
  /** The index's digest. */
  readonly digest: string;
  /** The index's tags when the rescan walk last saw it: the names users know the image by. */
  readonly tags: readonly string[];
  /** `os/architecture[/variant]`. */
  readonly platform?: string;
}

/** What a report says is new. */
export interface ReportNews {
  readonly reportOn: ReportOnMode;
  readonly reason: NewsReason;
  /** The findings at reached severities that the last report did not list. */
  readonly newFindings: readonly Finding[];
  /** When the digest's last findings report went out. */
  readonly previousReportAt?: Date;
}

export interface ReportMessageOptions {
  /** Findings listed at most; fewer when the size limit demands. */
  readonly maxFindings: number;
  /** Size limit of the publish request's message plus attributes. @default SNS_MAX_PUBLISH_BYTES */
  readonly maxBytes?: number;
  /** Whether the message's `https` key carries the chat form (chat-message.ts). @default false */
  readonly chat?: boolean;
}

export interface MessageAttribute {
  readonly DataType: 'String' | 'Number' | 'String.Array';
  readonly StringValue: string;
}

export interface ReportMessage {
  readonly subject: string;
  /** For email: a readable text. */
  readonly text: string;
  /** For SQS, Lambda, HTTP(S), Firehose and email-json subscribers. */
  readonly document: ReportDocument;
  /** For subscription filter policies. */
  readonly attributes: Record<string, MessageAttribute>;
  /** The SNS `Message` with `MessageStructure: 'json'`: `default` is the JSON document, `email` the text, `https` the chat form when asked for. */
  readonly snsMessage: string;
  readonly findingsListed: number;
  readonly findingsOmitted: number;
  /** Bytes of message plus attributes, as SNS counts them. */
  readonly bytes: number;
}

/** The JSON form. Field names are a public contract: add, never rename. */
export interface ReportDocument {
  readonly version: 1;
  readonly source: 'cdk-ecr-scan-reporter';
  /** `report`; the registry summary's document says `summary`. Added after version 1 was first published. */
  readonly kind: 'report';
  readonly reason: string;
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: string[];
  readonly imageTagsOmitted: number;
  readonly scanStatus: string;
  readonly statusDescription?: string;
  readonly accountId: string;
  readonly region: string;
  /** The most severe level with a finding; `NONE` when a COMPLETE scan found nothing; `UNKNOWN` when the scan FAILED. */
  readonly highestSeverity: string;
  /** Findings by severity; null when the scan FAILED, since a failed scan has no counts (not zero counts). */
  readonly severityCounts: SeverityCounts | null;
  readonly thresholds: Thresholds;
  /** One row per severity with a threshold; null when the scan FAILED. */
  readonly evaluations: ReportDecision['evaluations'] | null;
  /** Findings known to exist, listed or not; null when the scan FAILED. */
  readonly totalFindings: number | null;
  /** The findings listed; empty when the scan FAILED. */
  readonly findings: Finding[];
  /** Findings known and not listed; null when the scan FAILED. */
  readonly findingsOmitted: number | null;
  /** Present exactly when the scan FAILED: why it failed. */
  readonly failure?: ReportFailure;
  readonly findingsUnavailableReason?: string;
  readonly scanCompletedAt?: string;
  readonly vulnerabilitySourceUpdatedAt?: string;
  readonly consoleUrl: string;
  /** `reportOn` of the reporter: NEW_FINDINGS or EVERY_SCAN. */
  readonly reportOn?: ReportOnMode;
  /** Why the report went out: first-report, new-findings, newly-failed, every-scan, findings-unavailable. */
  readonly news?: NewsReason;
  /** The new findings listed (a subset of `findings`, most severe first). */
  readonly newFindings?: Finding[];
  /** How many findings are new, listed or not; null when the scan FAILED. */
  readonly newFindingsCount?: number | null;
  /** When the digest's previous findings report went out. */
  readonly previousReportAt?: string;
  /** Where the image runs, as the last in-use discovery saw it, and when it was last pulled. */
  readonly inUse?: ReportInUse;
  /** The team that owns the repository (a repository tag or `repositoryOwners`); null when none does. */
  readonly owner?: string | null;
  /** Findings left out of the thresholds and the news as accepted risks (`acceptedRisks`, or SUPPRESSED by Inspector). */
  readonly acceptedRisks?: ReportAcceptedRisks;
  /** For a platform image: the index that lists it, its tags (at most 50) and the platform; `label` names the image as users do, "v1.2 (linux/arm64)". */
  readonly imageIndex?: { readonly digest: string; readonly tags: string[]; readonly platform?: string; readonly label: string };
}

/** Why a scan FAILED, in the JSON form of its report. */
export interface ReportFailure {
  /** ECR's `imageScanStatus.description` (also in `statusDescription`), or "no reason given" when ECR gave none. */
  readonly reason: string;
}

/** The words a FAILED report uses when ECR gives no description of the failure. */
export const NO_FAILURE_REASON = 'no reason given';

/** Where an image runs, in the JSON form of a report. */
export interface ReportInUse {
  /** `running`: seen running by the last discovery; `not-running`: not seen; `unknown`: no discovery recent enough to tell. */
  readonly status: 'running' | 'not-running' | 'unknown';
  /** The places it runs, at most 20 (`placesOmitted` counts the rest). */
  readonly places: ReportInUsePlace[];
  readonly placesOmitted: number;
  /** ECR's `lastRecordedPullTime` (refreshed about once a day), when ECR has one. */
  readonly lastPulledAt?: string;
  /** When the image was pushed. */
  readonly pushedAt?: string;
  /** One sentence: "Running in: ECS service payments-api (cluster prod, 4 tasks), Lambda resize-images", "Not running, not pulled for 94 days". */
  readonly summary: string;
}

/** One place an image runs. */
export interface ReportInUsePlace {
  /** `ecs-service` (a service's running tasks or its task definition), `ecs-task` (tasks outside a service), `lambda` (a function of package type Image), `inspector` (Amazon Inspector's in-use count). */
  readonly kind: 'ecs-service' | 'ecs-task' | 'lambda' | 'inspector';
  /** The service, the task family, the function name; for `inspector`, "Amazon Inspector". */
  readonly name: string;
  /** The ECS cluster's name, for `ecs-service` and `ecs-task`. */
  readonly cluster?: string;
  /** Running tasks (ECS), or Inspector's `inUseCount`. */
  readonly count?: number;
}

/** The accepted risks a report left out. */
export interface ReportAcceptedRisks {
  /** Findings left out, by severity counted in `severityCounts` before they were left out. */
  readonly ignoredCount: number;
  /** One row per rule that left something out. */
  readonly entries: ReportAcceptedRisk[];
}

/** One accepted risk that left findings out of a report. */
export interface ReportAcceptedRisk {
  readonly findingId: string;
  readonly reason: string;
  /** ISO-8601 date the acceptance ends (it ignores nothing from 00:00 UTC that day); absent for Inspector suppressions. */
  readonly expires?: string;
  /** `accepted-risk` (the construct's `acceptedRisks`) or `inspector-suppressed`. */
  readonly source: 'accepted-risk' | 'inspector-suppressed';
  /** Findings of this image it left out (one finding id can name several packages). */
  readonly findings: number;
}

/** The ECR console page with this image's scan results, in the region's partition. */
export function consoleUrl(region: string, accountId: string, repositoryName: string, imageDigest: string): string {
  const host = region.startsWith('cn-')
    ? `${region}.console.amazonaws.cn`
    : region.startsWith('us-gov-')
      ? `${region}.console.amazonaws-us-gov.com`
      : `${region}.console.aws.amazon.com`;
  return `https://${host}/ecr/repositories/private/${accountId}/${repositoryName}/_/image/${imageDigest}/scan-results?region=${region}`;
}

/** Whether a report is of a FAILED scan: it then has no counts, and gives the failure instead. */
export function isFailedScan(input: Pick<ReportMessageInput, 'scanStatus' | 'decision'>): boolean {
  return input.scanStatus === 'FAILED' || input.decision.reason === 'scan-failed';
}

/** Why a scan failed, in the words of ECR's description, or {@link NO_FAILURE_REASON}. */
export function failureReason(statusDescription: string | undefined): string {
  return statusDescription?.trim() || NO_FAILURE_REASON;
}

/** Printable ASCII only: SNS rejects other subject characters. */
function asciiLine(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?');
}

/** How a report names the image after its repository: its first tag, its index's tag and platform, else its digest's start. */
export function imageReference(input: Pick<ReportMessageInput, 'repositoryName' | 'imageDigest' | 'imageTags' | 'imageIndex'>): string {
  if (input.imageTags.length > 0) return `${input.repositoryName}:${input.imageTags[0]}`;
  if (input.imageIndex && input.imageIndex.tags.length > 0) return `${input.repositoryName}:${platformImageLabel(input.imageIndex)}`;
  return `${input.repositoryName}@${input.imageDigest.slice(0, 19)}`;
}

export function buildSubject(input: Pick<ReportMessageInput, 'repositoryName' | 'imageDigest' | 'imageTags' | 'imageIndex' | 'scanStatus' | 'decision' | 'news'>): string {
  const { decision } = input;
  const failed = isFailedScan(input);
  const what = failed
    ? 'scan FAILED'
    : decision.evaluations
      .filter((e) => e.breached)
      .map((e) => `${e.severity} ${e.count}`)
      .join(', ');
  const news = input.news;
  const fresh = !failed && news && news.reason !== 'first-report' && news.newFindings.length > 0 ? `${news.newFindings.length} new, ` : '';
  const prefix = asciiLine(`ECR scan: ${fresh}${what} in `);
  const ref = asciiLine(imageReference(input));
  const room = SNS_MAX_SUBJECT_LENGTH - prefix.length;
  if (room >= 12) {
    return prefix + (ref.length <= room ? ref : `${ref.slice(0, room - 3)}...`);
  }
  // Many breached levels with huge counts: keep the start, which names the worst.
  const whole = prefix + ref;
  return `${whole.slice(0, SNS_MAX_SUBJECT_LENGTH - 3)}...`;
}

function describeFinding(f: Finding): string {
  const pkg = f.packageName ? ` ${f.packageName}${f.packageVersion ? ` ${f.packageVersion}` : ''}` : '';
  // Amazon Inspector's signals, where it gives them: what a reader triages by after the severity.
  const notes = [
    ...(f.score !== undefined ? [`score ${f.score}`] : []),
    ...(f.fixAvailable === 'YES' ? ['fix available'] : f.fixAvailable === 'PARTIAL' ? ['fix available for some packages'] : f.fixAvailable === 'NO' ? ['no fix yet'] : []),
    ...(f.exploitAvailable === 'YES' ? ['exploit available'] : []),
    ...(f.epssScore !== undefined ? [`EPSS ${f.epssScore}`] : []),
  ];
  const link = f.url ? `\n      ${f.url}` : '';
  return `  - ${f.severity.padEnd(13)} ${f.id}${pkg}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}${link}`;
}

/** The sentence that leads a report: what is new, before the rest. */
function newsLine(news: ReportNews | undefined, counts: SeverityCounts, total: number): string | undefined {
  if (!news) return undefined;
  const since = news.previousReportAt ? ` since the report of ${news.previousReportAt.toISOString().slice(0, 10)}` : '';
  const ids = (findings: readonly Finding[]) => {
    const named = findings.slice(0, 5).map((f) => `${f.id} (${f.severity}${f.packageName ? `, ${f.packageName}` : ''})`);
    return named.join(', ') + (findings.length > 5 ? ` and ${findings.length - 5} more` : '');
  };
  switch (news.reason) {
    case 'first-report':
      return `First report of this image: ${total} finding(s) at or above your thresholds.`;
    case 'new-findings':
      return news.newFindings.length > 0
        ? `${news.newFindings.length} new${since}: ${ids(news.newFindings)}.`
        : `New findings${since}: more findings than could be read, and a reached severity's count grew (now ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}).`;
    case 'every-scan':
      return news.newFindings.length > 0 ? `${news.newFindings.length} new${since}: ${ids(news.newFindings)}.` : undefined;
    default:
      return undefined;
  }
}

/** The image lines every report carries: repository, tags, digest, account, status, owner, where it runs. */
function imageLines(input: ReportMessageInput, tags: string[], tagsOmitted: number): string[] {
  const lines: string[] = [];
  lines.push(`Repository:  ${input.repositoryName}`);
  const index = input.imageIndex;
  if (tags.length === 0 && index) {
    // A platform image is untagged: it is known by its index's tags.
    const indexTags = index.tags.slice(0, MAX_TAGS_LISTED);
    const more = index.tags.length - indexTags.length;
    lines.push(`Image:       ${platformImageLabel(index)}, the ${index.platform ?? 'platform'} image of an index`);
    lines.push(`Index tags:  ${indexTags.length > 0 ? indexTags.join(', ') + (more > 0 ? ` and ${more} more` : '') : '(untagged)'}`);
    lines.push(`Index:       ${index.digest}`);
  } else {
    lines.push(`Tags:        ${tags.length > 0 ? tags.join(', ') + (tagsOmitted > 0 ? ` and ${tagsOmitted} more` : '') : '(untagged)'}`);
  }
  lines.push(`Digest:      ${input.imageDigest}`);
  lines.push(`Account:     ${input.accountId} (${input.region})`);
  lines.push(`Scan status: ${input.scanStatus}${input.scanCompletedAt ? `, completed ${input.scanCompletedAt.toISOString()}` : ''}`);
  if (input.owner !== undefined) lines.push(`Owner:       ${input.owner ?? '(none)'}`);
  if (input.inUse) lines.push(`In use:      ${input.inUse.summary}`);
  return lines;
}

/** The text of a FAILED scan's report: the failure and what it means, never counts (it has none). */
function buildFailedText(input: ReportMessageInput, tags: string[], tagsOmitted: number, url: string): string {
  const lines = [
    `The scan FAILED: ${failureReason(input.statusDescription)}`,
    '',
    'No findings are known for this image until a scan completes: this report has no severity counts, which does not mean it has no vulnerabilities.',
    'The rescan schedule tries again (ECR allows one scan per image per 24 hours).',
    '',
    ...imageLines(input, tags, tagsOmitted),
  ];
  if (input.findingsUnavailableReason) lines.push('', `Scan details could not be read: ${input.findingsUnavailableReason}`);
  lines.push('', `The scan in the ECR console: ${url}`, '', 'Sent by cdk-ecr-scan-reporter.');
  return lines.join('\n');
}

function buildText(input: ReportMessageInput, tags: string[], tagsOmitted: number, findings: Finding[], omitted: number, url: string): string {
  if (isFailedScan(input)) return buildFailedText(input, tags, tagsOmitted, url);
  const { decision } = input;
  const lines: string[] = [];
  const reached = decision.evaluations.filter((e) => e.breached).reduce((n, e) => n + e.count, 0);
  const lead = newsLine(input.news, input.counts, reached);
  if (lead) lines.push(lead, '');
  const breached = decision.evaluations.filter((e) => e.breached);
  lines.push(
    `An Amazon ECR image scan found vulnerabilities at or above your thresholds: ${breached
      .map((e) => `${e.count} ${e.severity} (threshold ${e.threshold})`)
      .join(', ')}.`,
  );
  lines.push('');
  lines.push(...imageLines(input, tags, tagsOmitted));
  if (input.vulnerabilitySourceUpdatedAt) {
    lines.push(`Vulnerability data as of ${input.vulnerabilitySourceUpdatedAt.toISOString()}`);
  }

  const severities = orderedSeverityNames(input.counts, input.thresholds);
  if (severities.length > 0) {
    lines.push('');
    lines.push('Severity       Count  Threshold');
    for (const severity of severities) {
      const count = input.counts[severity] ?? 0;
      const evaluation = decision.evaluations.find((e) => e.severity === severity);
      const threshold = evaluation ? String(evaluation.threshold) : '-';
      const mark = evaluation?.breached ? '  reached' : '';
      lines.push(`${severity.padEnd(13)} ${String(count).padStart(6)}  ${threshold.padStart(9)}${mark}`);
    }
  }

  if (input.acceptedRisks && input.acceptedRisks.ignoredCount > 0) {
    lines.push('');
    lines.push(`Accepted risks: ${input.acceptedRisks.ignoredCount} finding(s) left out of the counts above and of what is new:`);
    for (const risk of input.acceptedRisks.entries) {
      const until = risk.expires ? `accepted until ${risk.expires.slice(0, 10)}` : 'suppressed in Amazon Inspector';
      lines.push(`  - ${risk.findingId} (${risk.findings} finding${risk.findings === 1 ? '' : 's'}), ${until}: ${risk.reason}`);
    }
  }

  if (input.findingsUnavailableReason) {
    lines.push('');
    lines.push(`Findings could not be listed: ${input.findingsUnavailableReason}`);
  } else if (findings.length > 0 || omitted > 0) {
    const newIds = new Set(input.news && input.news.reason !== 'first-report' ? input.news.newFindings.map((f) => f.id) : []);
    const listedNew = findings.filter((f) => newIds.has(f.id));
    const others = findings.filter((f) => !newIds.has(f.id));
    if (listedNew.length > 0) {
      lines.push('');
      lines.push(`New findings (${listedNew.length} of ${newIds.size}):`);
      lines.push(...listedNew.map(describeFinding));
    }
    lines.push('');
    lines.push(`${listedNew.length > 0 ? 'Other findings' : 'Top findings'} (${others.length} of ${findings.length + omitted - (listedNew.length > 0 ? newIds.size : 0)}):`);
    lines.push(...others.map(describeFinding));
    if (omitted > 0) lines.push(`  ... and ${omitted} more, not listed here; see the console link below.`);
  }
  lines.push('');
  lines.push(`Scan results in the ECR console: ${url}`);
  lines.push('');
  lines.push('Sent by cdk-ecr-scan-reporter.');
  return lines.join('\n');
}

function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

function attributesBytes(attributes: Record<string, MessageAttribute>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, a]) => sum + byteLength(name) + byteLength(a.DataType) + byteLength(a.StringValue),
    0,
  );
}

export function buildReportMessage(input: ReportMessageInput, options: ReportMessageOptions): ReportMessage {
  const maxBytes = options.maxBytes ?? SNS_MAX_PUBLISH_BYTES;
  const url = consoleUrl(input.region, input.accountId, input.repositoryName, input.imageDigest);
  // A FAILED scan has no findings and no counts: whatever the event carried is not a scan result.
  const failed = isFailedScan(input);
  // New findings are listed first, so the size limit cuts the rest before them.
  const newIds = new Set(failed ? [] : (input.news?.newFindings ?? []).map((f) => f.id));
  const sorted = failed
    ? []
    : [
      ...input.findings.filter((f) => newIds.has(f.id)).sort(compareFindings),
      ...input.findings.filter((f) => !newIds.has(f.id)).sort(compareFindings),
    ];
  const tags = input.imageTags.slice(0, MAX_TAGS_LISTED);
  const tagsOmitted = input.imageTags.length - tags.length;
  // Findings we know exist: the counts may exceed what could be read. A FAILED scan's are none known.
  const knownFindings = failed ? 0 : Math.max(sorted.length, input.decision.totalFindings);
  const subject = buildSubject(input);
  const highestSeverity = failed ? 'UNKNOWN' : input.decision.highestSeverity;
  const attributes: Record<string, MessageAttribute> = {
    kind: { DataType: 'String', StringValue: 'report' },
    repository: { DataType: 'String', StringValue: input.repositoryName },
    highestSeverity: { DataType: 'String', StringValue: highestSeverity },
    scanStatus: { DataType: 'String', StringValue: input.scanStatus || 'UNKNOWN' },
    ...(input.owner !== undefined ? { owner: { DataType: 'String' as const, StringValue: input.owner ?? UNOWNED } } : {}),
    ...(input.inUse ? { inUse: { DataType: 'String' as const, StringValue: input.inUse.status } } : {}),
  };

  const render = (listed: number) => {
    const findings = sorted.slice(0, listed).sort(compareFindings);
    const omitted = knownFindings - findings.length;
    const news = input.news;
    const newListed = findings.filter((f) => newIds.has(f.id));
    // A FAILED scan's news (newly-failed) counts no findings: it gets no `newFindings` attribute, rather than a 0.
    const withNews: Record<string, MessageAttribute> = news && !failed
      ? {
        ...attributes,
        newFindings: { DataType: 'Number', StringValue: String(news.newFindings.length) },
        // The new ids listed, for filter policies on a CVE; left out when none is (SNS takes no empty value).
        ...(newListed.length > 0 ? { newFindingIds: { DataType: 'String.Array' as const, StringValue: JSON.stringify(newListed.map((f) => f.id)) } } : {}),
      }
      : attributes;
    const document: ReportDocument = {
      version: 1,
      source: 'cdk-ecr-scan-reporter',
      kind: 'report',
      reason: input.decision.reason,
      repositoryName: input.repositoryName,
      imageDigest: input.imageDigest,
      imageTags: tags,
      imageTagsOmitted: tagsOmitted,
      scanStatus: input.scanStatus,
      statusDescription: input.statusDescription,
      accountId: input.accountId,
      region: input.region,
      highestSeverity,
      severityCounts: failed ? null : input.counts,
      thresholds: input.thresholds,
      evaluations: failed ? null : input.decision.evaluations,
      totalFindings: failed ? null : knownFindings,
      findings,
      findingsOmitted: failed ? null : omitted,
      ...(failed ? { failure: { reason: failureReason(input.statusDescription) } } : {}),
      findingsUnavailableReason: input.findingsUnavailableReason,
      scanCompletedAt: input.scanCompletedAt?.toISOString(),
      vulnerabilitySourceUpdatedAt: input.vulnerabilitySourceUpdatedAt?.toISOString(),
      consoleUrl: url,
      ...(news
        ? {
          reportOn: news.reportOn,
          news: news.reason,
          newFindings: newListed,
          newFindingsCount: failed ? null : news.newFindings.length,
          previousReportAt: news.previousReportAt?.toISOString(),
        }
        : {}),
      ...(input.inUse ? { inUse: input.inUse } : {}),
      ...(input.owner !== undefined ? { owner: input.owner } : {}),
      ...(input.acceptedRisks ? { acceptedRisks: input.acceptedRisks } : {}),
      ...(input.imageIndex
        ? {
          imageIndex: {
            digest: input.imageIndex.digest,
            tags: input.imageIndex.tags.slice(0, MAX_TAGS_LISTED),
            ...(input.imageIndex.platform ? { platform: input.imageIndex.platform } : {}),
            label: platformImageLabel(input.imageIndex),
          },
        }
        : {}),
    };
    const text = buildText(input, tags, tagsOmitted, findings, omitted, url);
    const snsMessage = JSON.stringify({
      default: JSON.stringify(document),
      email: text,
      ...(options.chat ? { https: JSON.stringify(buildChatNotification(document)) } : {}),
    });
    const bytes = byteLength(snsMessage) + attributesBytes(withNews);
    return { subject, text, document, attributes: withNews, snsMessage, findingsListed: findings.length, findingsOmitted: omitted, bytes };
  };

  // Largest number of findings that fits: binary search, since size grows with each
  // one. Invariant: best is render(low), the largest count known to fit.
  let best = render(0);
  if (best.bytes > maxBytes) {
    throw new Error(`a report without findings is ${best.bytes} bytes, over the ${maxBytes}-byte limit`);
  }
  let low = 0;
  let high = Math.min(Math.max(options.maxFindings, 0), sorted.length);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const candidate = render(mid);
    if (candidate.bytes <= maxBytes) {
      best = candidate;
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return best;
}
