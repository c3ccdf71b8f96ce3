/**
 * The registry summary (summary.ts) as people read it: the email text, the markdown of a GitHub job
 * summary, and the SNS message (JSON document by default, the text for email, the chat form for HTTPS
 * subscribers when asked), with attributes for filter policies (`kind` = `summary`). Plain module.
 * The top lists are bounded by summary.ts, so the message stays far below SNS's 256 KB; `bytes` says
 * what it took.
 */
import { CHAT_DESCRIPTION_MAX_CHARS, CHAT_TITLE_MAX_CHARS, ChatNotification, chatClip, chatCode } from './chat-message';
import { MessageAttribute, SNS_MAX_PUBLISH_BYTES, SNS_MAX_SUBJECT_LENGTH } from './report-message';
import { RegistrySummary, SUMMARY_LEVELS, SummaryRepository } from './summary';

export interface SummaryMessage {
  readonly subject: string;
  readonly text: string;
  readonly snsMessage: string;
  readonly attributes: Record<string, MessageAttribute>;
  readonly bytes: number;
}

const day = (iso: string) => iso.slice(0, 10);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `${n}` : '±0');

function trend(repository: SummaryRepository): string {
  return repository.trend ? `${signed(repository.trend.critical)} critical, ${signed(repository.trend.high)} high` : 'new in the list';
}

/** The subject: the period and the headline figure, printable ASCII, at most 99 characters. */
export function summarySubject(summary: RegistrySummary): string {
  const critical = summary.images.byHighestSeverity.CRITICAL;
  const subject = `ECR summary ${day(summary.period.from)} to ${day(summary.period.to)}: ${critical} critical images, ${summary.images.criticalRunning} running, ${summary.news.digests} new`;
  return subject.replace(/[^\x20-\x7e]/g, '?').slice(0, SNS_MAX_SUBJECT_LENGTH);
}

/** The email text. */
export function summaryText(summary: RegistrySummary): string {
  const { images } = summary;
  const lines: string[] = [];
  lines.push(`Registry summary, ${day(summary.period.from)} to ${day(summary.period.to)}`);
  lines.push('');
  lines.push(`Images tracked:     ${images.tracked} (${images.scannedInPeriod} scanned in the period)`);
  lines.push(`By highest finding: ${SUMMARY_LEVELS.map((l) => `${l} ${images.byHighestSeverity[l]}`).join(', ')}`);
  lines.push(`In use:             ${images.inUse.running} running, ${images.inUse.notRunning} not running, ${images.inUse.unknown} unknown; ${images.criticalRunning} running with CRITICAL findings`);
  lines.push(`New in the period:  ${plural(summary.news.digests, 'image')} gained findings; ${plural(summary.fixed.findings, 'finding')} fixed in ${plural(summary.fixed.digests, 'image')}`);
  const { failed, unsupported, deferred } = summary.problems;
  lines.push(`Problems:           ${plural(failed, 'failed scan')}, ${plural(unsupported, 'unsupported image')}, ${deferred} deferred by the daily scan budget`);
  if (summary.coverage) {
    const names = summary.coverage.repositoriesNotCovered;
    lines.push(`Coverage gaps:      ${plural(names.length, 'repository', 'repositories')} not covered${names.length > 0 ? ` (${names.slice(0, 10).join(', ')})` : ''}; ${plural(summary.coverage.imagesNotMonitored, 'pulled image')} no longer monitored`);
  }
  if (summary.news.latest.length > 0) {
    lines.push('', 'Latest news:');
    for (const n of summary.news.latest) lines.push(`  - ${n.repositoryName}${n.imageTags.length > 0 ? `:${n.imageTags[0]}` : `@${n.imageDigest.slice(0, 19)}`} (${day(n.at)})`);
  }
  if (summary.topCves.length > 0) {
    lines.push('', 'Top CVEs (images affected, running ones first):');
    for (const c of summary.topCves) lines.push(`  - ${c.id}: ${plural(c.images, 'image')}, ${c.imagesRunning} running`);
  }
  if (summary.worstRepositories.length > 0) {
    lines.push('', 'Worst repositories (images by highest finding):');
    for (const r of summary.worstRepositories) {
      const owner = r.owner === undefined ? '' : `, owner ${r.owner ?? '(none)'}`;
      lines.push(`  - ${r.repositoryName}: ${r.critical} critical, ${r.high} high of ${r.images}, ${r.running} running${owner} (${trend(r)})`);
    }
  }
  const risks = summary.acceptedRisks;
  if (risks.expiringSoon.length + risks.unmatched.length > 0) {
    lines.push('', 'Accepted risks:');
    for (const r of risks.expiringSoon) lines.push(`  - ${r.findingId}${r.repositoryPattern ? ` (${r.repositoryPattern})` : ''} expires ${r.expires}`);
    for (const r of risks.unmatched) lines.push(`  - ${r.findingId}${r.repositoryPattern ? ` (${r.repositoryPattern})` : ''} matched no finding for a whole cycle`);
  }
  lines.push('', '-- cdk-ecr-scan-reporter');
  return lines.join('\n');
}

/** Markdown for a GitHub job summary ($GITHUB_STEP_SUMMARY): headline, a severity table, the top lists as tables. */
export function summaryMarkdown(summary: RegistrySummary): string {
  const cell = (value: string) => value.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
  const { images } = summary;
  const lines: string[] = [];
  lines.push(`## ECR registry summary, ${day(summary.period.from)} to ${day(summary.period.to)}`, '');
  lines.push(
    `**${images.byHighestSeverity.CRITICAL}** images with CRITICAL findings (**${images.criticalRunning}** running) of ${images.tracked} tracked; ` +
      `${images.scannedInPeriod} scanned in the period; ${summary.news.digests} gained findings; ${summary.fixed.findings} findings fixed.`,
    '',
  );
  lines.push(`| ${SUMMARY_LEVELS.join(' | ')} |`, `|${SUMMARY_LEVELS.map(() => '---:').join('|')}|`, `| ${SUMMARY_LEVELS.map((l) => images.byHighestSeverity[l]).join(' | ')} |`, '');
  lines.push(`In use: ${images.inUse.running} running, ${images.inUse.notRunning} not running, ${images.inUse.unknown} unknown. ` +
    `Problems: ${summary.problems.failed} failed, ${summary.problems.unsupported} unsupported, ${summary.problems.deferred} deferred.`, '');
  if (summary.topCves.length > 0) {
    lines.push('### Top CVEs', '', '| CVE | images | running |', '|---|---:|---:|');
    for (const c of summary.topCves) lines.push(`| ${cell(c.id)} | ${c.images} | ${c.imagesRunning} |`);
    lines.push('');
  }
  if (summary.worstRepositories.length > 0) {
    lines.push('### Worst repositories', '', '| repository | owner | critical | high | images | running | trend |', '|---|---|---:|---:|---:|---:|---|');
    for (const r of summary.worstRepositories) {
      lines.push(`| ${cell(r.repositoryName)} | ${r.owner === undefined ? '' : cell(r.owner ?? '(none)')} | ${r.critical} | ${r.high} | ${r.images} | ${r.running} | ${trend(r)} |`);
    }
    lines.push('');
  }
  if (summary.coverage) {
    lines.push(`Coverage gaps: ${summary.coverage.repositoriesNotCovered.length} repositories not covered, ${summary.coverage.imagesNotMonitored} pulled images no longer monitored.`, '');
  }
  const risks = summary.acceptedRisks;
  if (risks.expiringSoon.length + risks.unmatched.length > 0) {
    lines.push('### Accepted risks', '');
    for (const r of risks.expiringSoon) lines.push(`- ${cell(r.findingId)} expires ${cell(r.expires)}`);
    for (const r of risks.unmatched) lines.push(`- ${cell(r.findingId)} matched no finding for a whole cycle`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The chat form (Amazon Q Developer in chat applications' custom notification). */
export function summaryChat(summary: RegistrySummary, context: { readonly accountId: string; readonly region: string }): ChatNotification {
  const { images } = summary;
  const lines = [
    `*${images.byHighestSeverity.CRITICAL}* images with CRITICAL findings, *${images.criticalRunning}* running, of ${images.tracked} tracked.`,
    `${summary.news.digests} gained findings this period; ${summary.fixed.findings} findings fixed.`,
    ...summary.topCves.slice(0, 5).map((c) => `\u2022 ${chatCode(c.id)}: ${plural(c.images, 'image')}, ${c.imagesRunning} running`),
    ...summary.worstRepositories.slice(0, 5).map((r) => `\u2022 ${chatCode(r.repositoryName)}: ${r.critical} critical, ${r.high} high (${trend(r)})`),
  ];
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: chatClip(`:bar_chart: ECR registry summary ${day(summary.period.from)} to ${day(summary.period.to)}`, CHAT_TITLE_MAX_CHARS),
      description: chatClip(lines.join('\n'), CHAT_DESCRIPTION_MAX_CHARS),
      nextSteps: [],
      keywords: ['summary'],
    },
    metadata: {
      threadId: `ecr-scan-reporter-summary-${context.accountId}-${context.region}`,
      summary: chatClip(`${images.byHighestSeverity.CRITICAL} critical images, ${images.criticalRunning} running`, 100),
      eventType: 'EcrScanSummary',
      relatedResources: [],
      additionalContext: { kind: 'summary', periodFrom: summary.period.from, periodTo: summary.period.to },
    },
  };
}

/** The SNS publish request's parts for the summary. */
export interface SummaryMessageOptions {
  /** Whether the message's `https` key carries the chat form. @default false */
  readonly chat?: boolean;
  readonly accountId: string;
  readonly region: string;
}

export function buildSummaryMessage(summary: RegistrySummary, options: SummaryMessageOptions): SummaryMessage {
  const text = summaryText(summary);
  const snsMessage = JSON.stringify({
    default: JSON.stringify(summary),
    email: text,
    ...(options.chat ? { https: JSON.stringify(summaryChat(summary, options)) } : {}),
  });
  const attributes: Record<string, MessageAttribute> = {
    kind: { DataType: 'String', StringValue: 'summary' },
    criticalImages: { DataType: 'Number', StringValue: String(summary.images.byHighestSeverity.CRITICAL) },
    criticalRunning: { DataType: 'Number', StringValue: String(summary.images.criticalRunning) },
  };
  const bytes = Buffer.byteLength(snsMessage, 'utf8') + Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.DataType) + Buffer.byteLength(v.StringValue), 0);
  if (bytes > SNS_MAX_PUBLISH_BYTES) throw new Error(`the summary takes ${bytes} bytes, over SNS's ${SNS_MAX_PUBLISH_BYTES}: lower its top lists`);
  return { subject: summarySubject(summary), text, snsMessage, attributes, bytes };
}
