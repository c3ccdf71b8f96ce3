/**
 * How a report reads in Slack or Microsoft Teams: the report's JSON document turned into the
 * custom notification that Amazon Q Developer in chat applications (formerly AWS Chatbot)
 * renders. Other payloads it drops without a word. Plain module, no AWS client.
 *
 * The schema (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html) is written down
 * in test/fixtures/chat/custom-notification.schema.json, which the tests check every form against.
 *
 * | part | what it says |
 * |---|---|
 * | `content.title` | what happened to which image, at most 250 characters |
 * | `content.description` | what is new, the counts against the thresholds (or the failure), where the image runs, the owner, the accepted risks left out, the top findings (new first), the image; at most 2,500 characters (Slack cuts a section near 3,000); findings are dropped first, then whole lines; it always ends with the console link |
 * | (a FAILED scan) | no counts, thresholds or findings, since a failed scan has none: the failure and its reason ("no reason given" when ECR gave none), what that means, where it runs, the owner, the image, the link to the scan |
 * | `content.nextSteps` | open the console, rebuild on a patched base image (or fix a failed scan), accept a risk, name an owner |
 * | `content.keywords` | the repository, the highest severity (`FAILED` for a failed scan), the owner, in use or not running |
 * | `metadata.threadId` | one per account, region, repository and digest, so every report of an image threads together |
 * | `metadata.relatedResources` | the repository's ARN and the image's URI by digest |
 * | `metadata.additionalContext` | plain values: the image, `scanStatus`, `highestSeverity` (`UNKNOWN` for a failed scan), `totalFindings` and `newFindings` (absent for a failed scan), `failureReason` (only for a failed scan), ... |
 *
 * Every text from ECR (repository names, tags, package names, finding ids, descriptions) is
 * neutralised: one line, no characters that start a link, a mention, a code span or emphasis.
 * Links are made only of this module's labels and http(s) URLs with no character that could end one.
 */
import { createHash } from 'crypto';
import type { Finding } from './findings';
import type { ReportAcceptedRisks, ReportDocument } from './report-message';

/** The longest description this module writes: Slack cuts a section near 3,000 characters. */
export const CHAT_DESCRIPTION_MAX_CHARS = 2500;
/** The longest title this module writes. */
export const CHAT_TITLE_MAX_CHARS = 250;
/** Findings a description lists at most; fewer when the length limit demands. */
export const CHAT_MAX_FINDINGS = 5;
/** `metadata.eventType` of every report. */
export const CHAT_EVENT_TYPE = 'EcrScanReport';

/** The custom notification that Amazon Q Developer in chat applications renders. */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly content: ChatContent;
  readonly metadata: ChatMetadata;
}

/** What a chat notification shows. */
export interface ChatContent {
  readonly textType: 'client-markdown';
  readonly title: string;
  readonly description: string;
  readonly nextSteps: string[];
  readonly keywords: string[];
}

/** How a chat notification is threaded and described to the chat application. */
export interface ChatMetadata {
  /** Stable for an image: the same for every report of one digest in one repository, account and region. */
  readonly threadId: string;
  readonly summary: string;
  readonly eventType: string;
  readonly relatedResources: string[];
  /** Plain values for custom actions: no markdown, one line each. */
  readonly additionalContext: Record<string, string>;
}

/** Longest value of one piece of ECR text in a line; longer ones end in an ellipsis. */
const MAX_VALUE_CHARS = 120;
const MAX_PROSE_CHARS = 400;
/** Longest finding link: a longer one would crowd the findings out. */
const MAX_LINK_URL_CHARS = 300;
const MAX_TAGS_SHOWN = 3;
/** Severities without a threshold named after the evaluated ones; ECR has 6 in all. */
const MAX_OTHER_SEVERITIES = 6;
const MAX_KEYWORD_CHARS = 64;
const MAX_CONTEXT_CHARS = 1024;

/** Characters that start a Slack link or mention, markdown code, emphasis, links, quotes or headings, and their look-alikes. */
const LOOKALIKES: Record<string, string> = {
  '<': '\u2039', // ‹
  '>': '\u203a', // ›
  '`': '\u02cb', // ˋ
  '*': '\u2217', // ∗
  '~': '\u223c', // ∼
  '[': '\uff3b', // ［
  ']': '\uff3d', // ］
  '|': '\uffe8', // ￨
  '@': '\uff20', // ＠
  '#': '\uff03', // ＃
};
/** Inside a code span, emphasis and links are inert; a backtick ends it, and the chat application may still read mentions. */
const CODE_UNSAFE = /[<>`@#]/g;
const PROSE_UNSAFE = /[<>`*~[\]|@#]/g;

/** One line: control characters, line and paragraph separators become spaces; zero-width and bidirectional controls and lone surrogates go. */
function oneLine(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** At most `max` characters, the last an ellipsis when cut; never half a surrogate pair. */
function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}\u2026`;
}

/** ECR text as an inline code span: nothing in it formats, links or mentions. */
function code(value: string, max = MAX_VALUE_CHARS): string {
  const text = clip(oneLine(value), max).replace(CODE_UNSAFE, (c) => LOOKALIKES[c]);
  return `\`${text || '?'}\``;
}

/** ECR text outside a code span: look-alikes for every character that formats; `_` only where it could start or end emphasis. */
function prose(value: string, max = MAX_PROSE_CHARS): string {
  return clip(oneLine(value), max)
    .replace(PROSE_UNSAFE, (c) => LOOKALIKES[c])
    .replace(/_/g, (c, at: number, all: string) => (/[\p{L}\p{N}]/u.test(all[at - 1] ?? '') && /[\p{L}\p{N}]/u.test(all[at + 1] ?? '') ? c : '\uff3f'));
}

/** A severity name as ECR sends it: letters, digits and `_` inside a word only. */
function severityName(value: string): string {
  return clip(value.replace(/[^A-Za-z0-9_]/g, '').replace(/^_+|_+$/g, ''), 20) || '?';
}

/** An http(s) URL that cannot end a Slack link early; undefined for anything else. */
function linkTarget(url: string | undefined, max = Number.POSITIVE_INFINITY): string | undefined {
  if (!url || url.length > max || !/^https?:\/\/[^\s<>|`"\\]+$/i.test(url)) return undefined;
  return url;
}

/** A Slack-style link, the form AWS's custom notification samples use: `<url|label>`. */
function link(url: string, label: string): string {
  return `<${url}|${label}>`;
}

/** The console URL with every character that could end a link percent-encoded (an ECR-made one has none). */
function safeConsoleUrl(url: string): string {
  return oneLine(url).replace(/[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/gu, (c) => encodeURIComponent(c));
}

/** The console link every description ends with; a failed scan has no findings to link to, only the scan. */
function consoleLink(url: string, scanFailed: boolean): string {
  return link(safeConsoleUrl(url), scanFailed ? 'The scan in the ECR console' : 'All findings in the ECR console');
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `YYYY-MM-DD` of an ISO-8601 time, or undefined when it is not one. */
function day(iso: string | undefined): string | undefined {
  return iso && /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : undefined;
}

function partition(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

function registryHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** The thread of an image: a hash of account, region, repository and digest, the same for every report of that image. */
export function chatThreadId(document: Pick<ReportDocument, 'accountId' | 'region' | 'repositoryName' | 'imageDigest'>): string {
  const key = [document.accountId, document.region, document.repositoryName, document.imageDigest].join('\n');
  return `ecr-scan-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 40)}`;
}

/** The short form of a digest, as docker prints it: `sha256:` and 12 hex digits. */
function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest];
  return algorithm ? `${algorithm}:${hex.slice(0, 12)}` : digest.slice(0, 19);
}

function failed(document: ReportDocument): boolean {
  return document.failure !== undefined || document.scanStatus === 'FAILED' || document.reason === 'scan-failed';
}

/** Why the scan failed: the document's `failure`, else ECR's description, else the words report-message.ts uses when there is none. */
function failureText(document: ReportDocument): string {
  return document.failure?.reason ?? (document.statusDescription?.trim() || 'no reason given');
}

/** The evaluations that reached their thresholds; none for a failed scan, which has no counts. */
function breached(document: ReportDocument) {
  return failed(document) ? [] : (document.evaluations ?? []).filter((e) => e.breached);
}

/** The new findings, by id, when the report names some as new (a first report calls everything new, so it marks none). */
function newIds(document: ReportDocument): Set<string> {
  if (document.news === 'first-report') return new Set();
  return new Set((document.newFindings ?? []).map((f) => f.id));
}

/** The image as the title and summary name it: repository and first tag, else repository and short digest. */
function imageRef(document: ReportDocument, max: number): string {
  // A platform image is untagged; its index's tag and platform name it ("v1.2 (linux/arm64)").
  const tag = document.imageTags[0] ?? (document.imageIndex?.tags.length ? document.imageIndex.label : undefined);
  const suffix = tag !== undefined ? `:${clip(oneLine(tag), 60)}` : ` ${shortDigest(document.imageDigest)}`;
  return `${clip(oneLine(document.repositoryName), Math.max(max - suffix.length, 8))}${suffix}`;
}

function buildTitle(document: ReportDocument): string {
  const fresh = document.newFindingsCount ?? 0;
  const listedNew = document.newFindings ?? [];
  const newLevels = new Set(listedNew.map((f) => f.severity));
  const reached = breached(document).map((e) => e.severity);
  // The levels of the new findings when every one is listed, else every reached level.
  const allListed = listedNew.length === fresh && reached.some((l) => newLevels.has(l));
  const named = document.news !== 'first-report' && fresh > 0 && allListed ? reached.filter((l) => newLevels.has(l)) : reached;
  const levels = named.join('/');
  const lead = failed(document)
    ? ':warning: ECR scan FAILED for '
    : levels === ''
      ? ':information_source: ECR scan report for '
      : document.news !== 'first-report' && fresh > 0
        ? `:rotating_light: ${fresh} new ${levels} ${fresh === 1 ? 'finding' : 'findings'} in `
        : `:rotating_light: ${breached(document).reduce((n, e) => n + e.count, 0)} ${reached.join('/')} findings in `;
  // The code span's backticks take 2 characters.
  return lead + code(imageRef(document, CHAT_TITLE_MAX_CHARS - lead.length - 2), CHAT_TITLE_MAX_CHARS - lead.length - 2);
}

/** The sentence that leads: what is new, before the rest. */
function newsLine(document: ReportDocument): string | undefined {
  const since = day(document.previousReportAt);
  const sinceText = since ? ` since the report of ${since}` : '';
  const fresh = document.newFindingsCount ?? 0;
  const reached = breached(document).reduce((n, e) => n + e.count, 0);
  switch (document.news) {
    case 'first-report':
      return `*First report* of this image: ${plural(reached, 'finding')} at or above your thresholds.`;
    case 'new-findings':
      return fresh > 0
        ? `*${fresh} new* ${fresh === 1 ? 'finding' : 'findings'}${sinceText}.`
        : `*New findings*${sinceText}: more findings than could be read, and a reached severity's count grew.`;
    case 'every-scan':
      return fresh > 0 ? `*${fresh} new* ${fresh === 1 ? 'finding' : 'findings'}${sinceText}.` : `Nothing new${sinceText}; every scan is reported.`;
    case 'newly-failed':
      return '*First failure reported* since the last complete scan of this image.';
    case 'findings-unavailable':
      return 'The findings could not be read, so what is new cannot be told.';
    default:
      return undefined;
  }
}

/** A failed scan's lines in place of the counts: it has none, and zeros would read as a clean scan. */
function failureLines(document: ReportDocument): string[] {
  return [
    `*The scan FAILED:* ${prose(failureText(document))}`,
    'No findings are known for this image until a scan completes; the rescan schedule tries again.',
  ];
}

function countsLine(document: ReportDocument): string {
  const evaluated = (document.evaluations ?? []).map(
    (e) => `${e.breached ? '*' : ''}${severityName(e.severity)} ${e.count}${e.breached ? '*' : ''} (threshold ${e.threshold})`,
  );
  const others = Object.entries(document.severityCounts ?? {})
    .filter(([severity, count]) => count > 0 && !(document.evaluations ?? []).some((e) => e.severity === severity))
    .map(([severity, count]) => `${severityName(severity)} ${count}`);
  const also = others.length > 0 ? `; also ${others.slice(0, MAX_OTHER_SEVERITIES).join(', ')}${others.length > MAX_OTHER_SEVERITIES ? ` and ${others.length - MAX_OTHER_SEVERITIES} more` : ''}` : '';
  return `*Severity:* ${evaluated.join(', ') || 'no thresholds'}${also}`;
}

function acceptedRisksLine(risks: ReportAcceptedRisks): string | undefined {
  if (risks.ignoredCount === 0 && risks.entries.length === 0) return undefined;
  const ends = risks.entries.map((e) => day(e.expires)).filter((d): d is string => d !== undefined).sort();
  const suppressed = risks.entries.filter((e) => e.source === 'inspector-suppressed').length;
  const until =
    ends.length === 0
      ? ''
      : ends[0] === ends[ends.length - 1]
        ? `, until ${ends[0]}`
        : `, the first acceptance ends ${ends[0]}, the last ${ends[ends.length - 1]}`;
  const inspector = suppressed > 0 ? `; ${plural(suppressed, 'Amazon Inspector suppression')}, no end date` : '';
  return `*Accepted risks:* ${plural(risks.ignoredCount, 'finding')} left out by ${plural(risks.entries.length, 'rule')}${until}${inspector}.`;
}

function findingLine(f: Finding, isNew: boolean): string {
  const pkg = f.packageName ? ` in ${code(`${f.packageName}${f.packageVersion ? ` ${f.packageVersion}` : ''}`)}` : '';
  const score = f.score !== undefined && Number.isFinite(f.score) ? ` (score ${f.score})` : '';
  const target = linkTarget(f.url, MAX_LINK_URL_CHARS);
  return `\u2022 ${isNew ? '*new* ' : ''}${code(f.id)} ${severityName(f.severity)}${pkg}${score}${target ? ` ${link(target, 'advisory')}` : ''}`;
}

function imageLine(document: ReportDocument): string {
  const shown = document.imageTags.slice(0, MAX_TAGS_SHOWN);
  const more = document.imageTags.length - shown.length + document.imageTagsOmitted;
  const index = document.imageIndex;
  const untagged = index ? `, the ${index.platform ? code(index.platform) : 'platform'} image of index ${index.tags.length > 0 ? index.tags.slice(0, MAX_TAGS_SHOWN).map((t) => code(t, 60)).join(', ') : code(shortDigest(index.digest))}` : ', untagged';
  const tags = shown.length > 0 ? `, ${shown.length + more === 1 ? 'tag' : 'tags'} ${shown.map((t) => code(t, 60)).join(', ')}${more > 0 ? ` and ${more} more` : ''}` : untagged;
  return `*Image:* ${code(document.repositoryName)}${tags}, digest ${code(shortDigest(document.imageDigest))}`;
}

/** The findings in the order the chat lists them: new ones first, each group most severe first (as the document sorts them). */
function orderedFindings(document: ReportDocument): { finding: Finding; isNew: boolean }[] {
  const fresh = newIds(document);
  const listed = document.findings.map((finding) => ({ finding, isNew: fresh.has(finding.id) }));
  return [...listed.filter((f) => f.isNew), ...listed.filter((f) => !f.isNew)];
}

function buildDescription(document: ReportDocument): string {
  const head: string[] = [];
  const lead = newsLine(document);
  if (lead) head.push(lead);
  if (failed(document)) head.push(...failureLines(document));
  else head.push(countsLine(document));
  if (document.inUse) head.push(`*Where it runs:* ${prose(document.inUse.summary)}`);
  if (document.owner !== undefined) head.push(`*Owner:* ${document.owner === null ? 'none known' : code(document.owner)}`);
  if (document.acceptedRisks) {
    const line = acceptedRisksLine(document.acceptedRisks);
    if (line) head.push(line);
  }
  if (document.findingsUnavailableReason) {
    head.push(`*${failed(document) ? 'Scan details could not be read' : 'Findings could not be listed'}:* ${prose(document.findingsUnavailableReason)}`);
  }

  const tail = [imageLine(document), consoleLink(document.consoleUrl, failed(document))];
  // A failed scan lists no findings, whatever the document carries.
  const candidates = failed(document) ? [] : orderedFindings(document);
  const known = Math.max(document.totalFindings ?? 0, candidates.length);

  const render = (listed: number, lines: string[] = head): string => {
    const body = [...lines];
    if (listed > 0 || known > 0) {
      const shown = candidates.slice(0, listed);
      const rest = known - shown.length;
      if (shown.length > 0) body.push(`*Top findings* (${shown.length} of ${known}):`, ...shown.map((f) => findingLine(f.finding, f.isNew)));
      if (rest > 0) body.push(`${shown.length > 0 ? '\u2026and' : 'Findings:'} ${rest} more in the console.`);
    }
    return [...body, ...tail].join('\n');
  };

  // Findings go first: the most that fit, down to none.
  for (let listed = Math.min(CHAT_MAX_FINDINGS, candidates.length); listed >= 0; listed--) {
    const text = render(listed);
    if (text.length <= CHAT_DESCRIPTION_MAX_CHARS) return text;
  }
  // Then whole lines from the end of the head (so no code span or link is cut), the lead last.
  const note = '\u2026cut short; see the console.';
  const lines = [...head];
  while (lines.length > 0) {
    lines.pop();
    const text = render(0, [...lines, note]);
    if (text.length <= CHAT_DESCRIPTION_MAX_CHARS) return text;
  }
  // The image line and the link are bounded well below the limit; the link is never cut.
  return [note, ...tail].join('\n').length <= CHAT_DESCRIPTION_MAX_CHARS ? [note, ...tail].join('\n') : tail[tail.length - 1];
}

function buildNextSteps(document: ReportDocument): string[] {
  const steps: string[] = [];
  const url = safeConsoleUrl(document.consoleUrl);
  if (failed(document)) {
    steps.push(`Open the ${link(url, 'scan in the ECR console')} to see why it failed.`);
    steps.push('Fix the cause (an unsupported operating system or package manager cannot be scanned by basic scanning), then push again or wait for the next rescan: ECR allows one scan per image per 24 hours.');
    return [...steps, ...ownerStep(document)];
  }
  steps.push(`Open the ${link(url, 'scan results in the ECR console')} and triage the findings, new ones first.`);
  const packages = [...new Set(orderedFindings(document).map((f) => f.finding.packageName).filter((p): p is string => !!p))].slice(0, 3);
  steps.push(
    `Rebuild ${code(document.repositoryName)} on a patched base image${packages.length > 0 ? ` or upgrade ${packages.map((p) => code(p, 60)).join(', ')}` : ''}, push it, and let the next scan confirm the fix.`,
  );
  steps.push('If a finding does not apply to this image, accept the risk with an `acceptedRisks` entry (finding id, reason, expiry date) instead of living with the noise.');
  return [...steps, ...ownerStep(document)];
}

function ownerStep(document: ReportDocument): string[] {
  return document.owner === null ? ['Name an owner for this repository (a repository tag or `repositoryOwners`), so its reports reach a team.'] : [];
}

/** A keyword: one line, nothing that formats, at most 64 characters. */
function keyword(value: string): string {
  return prose(value, MAX_KEYWORD_CHARS);
}

function buildKeywords(document: ReportDocument): string[] {
  const words = [keyword(document.repositoryName)];
  words.push(failed(document) ? 'FAILED' : severityName(document.highestSeverity));
  if (document.owner) words.push(keyword(document.owner));
  if (document.inUse?.status === 'running') words.push('in use');
  if (document.inUse?.status === 'not-running') words.push('not running');
  return [...new Set(words.filter((w) => w.length > 0))];
}

function buildSummary(document: ReportDocument): string {
  const what = failed(document)
    ? 'scan FAILED'
    : [
      ...(document.news !== 'first-report' && (document.newFindingsCount ?? 0) > 0 ? [`${document.newFindingsCount} new`] : []),
      ...breached(document).map((e) => `${severityName(e.severity)} ${e.count}`),
    ].join(', ');
  return `ECR scan of ${prose(imageRef(document, 200), 200)}: ${what || 'report'}`;
}

/** A plain value for custom actions: one line, at most 1,024 characters. */
function contextValue(value: string): string {
  return clip(oneLine(value), MAX_CONTEXT_CHARS);
}

function buildAdditionalContext(document: ReportDocument): Record<string, string> {
  const context: Record<string, string> = {
    repositoryName: contextValue(document.repositoryName),
    imageDigest: contextValue(document.imageDigest),
    accountId: contextValue(document.accountId),
    region: contextValue(document.region),
    scanStatus: contextValue(document.scanStatus || 'UNKNOWN'),
    // A failed scan has no counts: its context says why it failed rather than carry NONE and a total of 0.
    ...(failed(document)
      ? { highestSeverity: 'UNKNOWN', failureReason: contextValue(failureText(document)) }
      : { highestSeverity: contextValue(document.highestSeverity), totalFindings: String(document.totalFindings ?? 0) }),
    consoleUrl: contextValue(document.consoleUrl),
  };
  if (document.imageTags.length > 0) context.imageTag = contextValue(document.imageTags[0]);
  if (document.news) context.news = document.news;
  // null (a failed scan): nothing is known to be new, or not.
  if (typeof document.newFindingsCount === 'number' && !failed(document)) context.newFindings = String(document.newFindingsCount);
  if (document.owner !== undefined) context.owner = document.owner === null ? 'UNOWNED' : contextValue(document.owner);
  if (document.inUse) context.inUse = document.inUse.status;
  if (document.acceptedRisks) context.acceptedRisksIgnored = String(document.acceptedRisks.ignoredCount);
  return context;
}

/** Turns a report's JSON document into the custom notification that Amazon Q Developer in chat applications renders; the same document always gives the same notification. */
export function buildChatNotification(document: ReportDocument): ChatNotification {
  const repository = oneLine(document.repositoryName);
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: buildTitle(document),
      description: buildDescription(document),
      nextSteps: buildNextSteps(document),
      keywords: buildKeywords(document),
    },
    metadata: {
      threadId: chatThreadId(document),
      summary: buildSummary(document),
      eventType: CHAT_EVENT_TYPE,
      relatedResources: [
        `arn:${partition(document.region)}:ecr:${document.region}:${document.accountId}:repository/${repository}`,
        `${registryHost(document.accountId, document.region)}/${repository}@${document.imageDigest}`,
      ].map(contextValue),
      additionalContext: buildAdditionalContext(document),
    },
  };
}

/** The escaping the chat form uses, for the summary's chat form (summary-message.ts). */
export { code as chatCode, clip as chatClip };
