/**
 * One `summary` run: the registry summary (../decisions/summary.ts) of the selected repositories,
 * from a deployed reporter's ledger (`--ledger-table`, one Scan, ../aws/registry-summary.ts) or
 * straight from ECR (the walk plan makes, without a ledger: highest severities and problems, and
 * under enhanced scanning the coverage gaps), printed as text, JSON or markdown, optionally appended
 * to $GITHUB_STEP_SUMMARY, and a gate (`--fail-on`, exit status 3). Read-only: it writes no ledger
 * item and starts no scan.
 */
import { appendFileSync } from 'fs';
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { GATE_LEVELS, PROGRAM, RunOptions, SummaryCommandOptions } from './args';
import { CliFailure, FailureContext, describeFailure } from './failures';
import { countOf, formatCount } from './format';
import { Progress } from './progress';
import { CliDeps, checkAwsConfiguration, chooseRegion, stderrLog } from './run';
import { documentClient } from '../aws/clients';
import { getRegistryScanType, repositoryNamePages, uncoveredRepositories } from '../aws/ecr';
import { summarizeLedger } from '../aws/registry-summary';
import { rescanRepository } from '../aws/rescan-repository';
import type { LedgerEntry } from '../decisions/ledger';
import { RepositoryFilter } from '../decisions/repository-filter';
import { DEFAULTS } from '../decisions/settings';
import { RegistrySummary, SummaryBuilder } from '../decisions/summary';
import { summaryMarkdown, summaryText } from '../decisions/summary-message';

/** The exit status of a reached gate. */
export const GATE_EXIT_CODE = 3;

/** The summary command's extra dependency: the DynamoDB client for `--ledger-table`. */
export interface SummaryDeps extends CliDeps {
  createDynamoDbClient?(config: DynamoDBClientConfig): DynamoDBClient;
}

/** Images whose highest severity is `level` or worse. */
export function imagesAtOrAbove(summary: RegistrySummary, level: SummaryCommandOptions['failOn']): number {
  if (level === undefined) return 0;
  const worse = GATE_LEVELS.slice(0, GATE_LEVELS.indexOf(level) + 1);
  return worse.reduce((n, l) => n + summary.images.byHighestSeverity[l], 0);
}

export function renderSummary(summary: RegistrySummary, format: SummaryCommandOptions['format']): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(summary, null, 2)}\n`;
    case 'markdown':
      return `${summaryMarkdown(summary)}\n`;
    default:
      return `${summaryText(summary)}\n`;
  }
}

export async function runSummary(options: RunOptions, deps: SummaryDeps): Promise<number> {
  const command = options.summary as SummaryCommandOptions;
  const filter = new RepositoryFilter(options.repositoryPattern, options.excludePattern);
  const progress = new Progress(deps.stderr, () => deps.clock(), deps.progressIntervalMs);
  const note = (line: string): void => {
    progress.clear();
    deps.stderr.write(`${PROGRAM}: ${line}\n`);
  };
  const log = stderrLog(note, options.verbose);
  const regionChoice = chooseRegion(options, deps.env);
  let context: FailureContext = { regionSource: regionChoice.source, profile: options.profile, endpointUrl: deps.env.AWS_ENDPOINT_URL };
  const ecr = deps.createEcrClient({ region: regionChoice.region, profile: options.profile });
  try {
    const region = await checkAwsConfiguration(ecr, regionChoice.source, context, (at) => (context = at));
    const now = deps.now();
    const periodMs = command.periodDays * 86_400_000;
    let summary: RegistrySummary;
    if (command.ledgerTable !== undefined) {
      if (!deps.createDynamoDbClient) throw new CliFailure('--ledger-table needs a DynamoDB client, which this build of the tool lacks');
      context = { ...context, during: `scanning the ledger table ${command.ledgerTable}` };
      const client = documentClient(deps.createDynamoDbClient({ region, profile: options.profile }));
      let items = 0;
      const result = await summarizeLedger(client, {
        tableName: command.ledgerTable,
        ttlSeconds: 0,
        selects: (name) => filter.matches(name),
        summary: {
          now,
          periodMs,
          inUse: { discoveryOn: true, holdMs: DEFAULTS.inUseHoldSeconds * 1000 },
          owners: { rules: [] },
        },
        onPage: (page) => {
          items += page.items;
          progress.update(() => `${PROGRAM}: scanning the ledger: ${formatCount(items)} items read`);
        },
      });
      if (result.itemsIgnored > 0) note(`${countOf(result.itemsIgnored, 'ledger item')} could not be read and ${result.itemsIgnored === 1 ? 'is' : 'are'} left out`);
      summary = result.summary;
    } else {
      context = { ...context, during: 'reading the registry scanning configuration' };
      const registryScanType = await getRegistryScanType(ecr);
      context = { ...context, during: 'listing the repositories' };
      const selected: string[] = [];
      for await (const names of repositoryNamePages(ecr)) selected.push(...names.filter((name) => filter.matches(name)));
      const coverage = registryScanType === 'ENHANCED' ? { now, pulledWithinMs: options.pulledWithinDays * 86_400_000 } : undefined;
      let notCovered: string[] = [];
      if (coverage) {
        context = { ...context, during: 'reading the repositories\' scanning configurations' };
        notCovered = await uncoveredRepositories(ecr, selected);
      }
      let notMonitored = 0;
      let images = 0;
      const builder = new SummaryBuilder({
        now,
        periodMs,
        inUse: { discoveryOn: false, holdMs: DEFAULTS.inUseHoldSeconds * 1000 },
      });
      let position = 0;
      for (const repositoryName of selected) {
        position++;
        context = { ...context, during: `walking the repository ${repositoryName}` };
        await rescanRepository(ecr, repositoryName, {
          now,
          scanExpiryMs: options.scanExpiryDays * 86_400_000,
          registryScanType,
          concurrency: options.concurrency,
          dryRun: true,
          log,
          coverage,
          onImage: (evaluation) => {
            images++;
            if (evaluation.coverageGap === 'monitoring-expired') notMonitored++;
            const { state } = evaluation;
            const entry: LedgerEntry = {
              repositoryName: evaluation.repositoryName,
              imageDigest: evaluation.imageDigest,
              imageTags: evaluation.imageTags,
              version: 0,
              ...(state.status
                ? { scan: { status: state.status, observedAt: now, source: 'status-read' as const, ...(state.completedAt ? { completedAt: state.completedAt } : {}), severityCounts: state.severityCounts ?? {} } }
                : {}),
            };
            builder.addImage(entry);
            progress.update(() => `${PROGRAM}: repository ${formatCount(position)}/${formatCount(selected.length)}, ${countOf(images, 'image')} read`);
          },
        });
      }
      if (coverage) builder.setCoverage({ repositoriesNotCovered: notCovered, imagesNotMonitored: notMonitored });
      summary = builder.build();
      note('summarized from ECR: in use, news, fixes, top CVEs and owners come from a deployed reporter\'s ledger (--ledger-table)');
    }
    progress.clear();
    deps.stdout.write(renderSummary(summary, command.format));
    if (command.githubStepSummary) {
      const file = deps.env.GITHUB_STEP_SUMMARY;
      if (file) appendFileSync(file, `${summaryMarkdown(summary)}\n`);
      else note('--github-step-summary: GITHUB_STEP_SUMMARY is not set, so no job summary was written');
    }
    const reached = imagesAtOrAbove(summary, command.failOn);
    if (command.failOn !== undefined && reached > 0) {
      note(`gate reached: ${countOf(reached, 'image')} with ${command.failOn} findings or worse (--fail-on ${command.failOn})`);
      return GATE_EXIT_CODE;
    }
    return 0;
  } catch (error) {
    note(describeFailure(error, context).message);
    return 1;
  } finally {
    progress.clear();
  }
}
