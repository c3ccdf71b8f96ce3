/**
 * One side's day as the result document records it, assembled from what the day's stages left:
 * the request logs of the cycle and of the report function, the scans ECR accepted and finished,
 * the ledger's item sizes, the notifications against the news, and the child processes' results.
 * Plain function, no I/O: test/bench/day-record.test.ts covers it.
 */
import type { StageResult } from './children';
import { OperationCounts, ScanAudit, countOperations, ecrDayCalls } from './daily';
import { addCalls, dynamodbCalls } from './dynamodb-cost';
import { ECS_SERVICE, Floor, LAMBDA_SERVICE, LoggedRequest, median, ratio } from './measure';
import type { FinishedScan, NewsTally, RunningTally } from './news';
import { emptySignals, mergeSignals } from './signals';
import type { DayRecord } from './week-report';

export interface DayInputs {
  readonly day: number;
  readonly simulatedAt: Date;
  readonly digestsGainingCves: number;
  readonly due: number;
  readonly floor: Floor;
  readonly audit: ScanAudit;
  readonly finished: readonly FinishedScan[];
  /** Every request of the cycle's stages, and of the report stage (the harness's own calls left out). */
  readonly cycleRequests: readonly LoggedRequest[];
  readonly reportRequests: readonly LoggedRequest[];
  /** The ledger's item sizes at the end of the day, by key; undefined for a side without a ledger. */
  readonly ledgerSizes?: ReadonlyMap<string, number>;
  readonly notificationsByNews?: Record<string, number>;
  readonly tally: NewsTally;
  /** The day against the news of the digests that run; absent when the week has no workloads. */
  readonly running?: { readonly tally: RunningTally; readonly digests: number; readonly scansFinished: number };
  /** The Python tool's side: its report outcome has another shape, and its processes no signals. */
  readonly python: boolean;
  readonly stages: Record<string, StageResult>;
  readonly report: StageResult;
  readonly finishSeconds: number;
}

export function assembleDay(input: DayInputs): DayRecord {
  const sizes = input.ledgerSizes ?? new Map<string, number>();
  const sizeOf = (key: string) => sizes.get(key);
  const dynamoCycle = dynamodbCalls(input.cycleRequests, sizeOf);
  const dynamoReport = dynamodbCalls(input.reportRequests, sizeOf);
  const ecr = ecrDayCalls(input.cycleRequests, input.reportRequests);
  const sortedSizes = [...sizes.values()].sort((a, b) => a - b);
  const { tally, audit, floor } = input;
  const outcome = input.report.outcome;
  const calls = (service: string): OperationCounts => {
    const counted = countOperations([...input.cycleRequests, ...input.reportRequests], service);
    return { total: counted.total, byOperation: counted.byOperation };
  };
  return {
    day: input.day,
    simulatedAt: input.simulatedAt.toISOString(),
    digestsGainingCves: input.digestsGainingCves,
    due: input.due,
    ecrCalls: ecr,
    statelessFloor: floor,
    callsToFloor: ratio(ecr.total, floor.total),
    cycleCallsToFloor: ratio(ecr.cycle.total, floor.total),
    dynamodbCalls: { ...addCalls(dynamoCycle, dynamoReport), cycle: dynamoCycle, report: dynamoReport },
    ecsCalls: calls(ECS_SERVICE),
    lambdaCalls: calls(LAMBDA_SERVICE),
    scans: {
      requests: audit.requests,
      started: audit.accepted.length,
      finishedComplete: input.finished.filter((s) => s.status === 'COMPLETE').length,
      finishedFailed: input.finished.filter((s) => s.status === 'FAILED').length,
      dueMissed: audit.dueMissed,
      duplicateScans: audit.duplicateScans,
      notDueAttempts: audit.notDueAttempts,
    },
    notifications: tally.notifications,
    ...(input.notificationsByNews ? { notificationsByNews: input.notificationsByNews } : {}),
    news: tally.news,
    newsByKind: tally.newsByKind,
    missedNews: tally.missedNews,
    missedByKind: tally.missedByKind,
    repeats: tally.repeats,
    repeatsNotNews: tally.repeatsNotNews,
    repeatsExtraCopies: tally.repeatsExtraCopies,
    ...(input.running
      ? { runningImages: { ...input.running.tally, digests: input.running.digests, scansFinished: input.running.scansFinished } }
      : {}),
    reportErrors: Number(outcome.errors ?? 0),
    report: input.python
      ? { invocations: outcome.invocations, errorMessages: outcome.errorMessages, thresholds: outcome.thresholds }
      : {
        events: outcome.events,
        published: outcome.published,
        outcomes: outcome.outcomes,
        news: outcome.news,
        errorMessages: outcome.errorMessages,
      },
    ...(input.python
      ? {}
      : { signals: mergeSignals(...[...Object.values(input.stages), input.report].map((s) => s.signals ?? emptySignals())) }),
    ...(input.ledgerSizes
      ? { ledgerItems: { count: sizes.size, maxBytes: sortedSizes[sortedSizes.length - 1] ?? 0, medianBytes: median(sortedSizes) || 0 } }
      : {}),
    wallSeconds: {
      ...Object.fromEntries(Object.entries(input.stages).map(([stage, s]) => [stage, s.wallSeconds])),
      finishScans: input.finishSeconds,
      report: input.report.wallSeconds,
    },
    examples: { missedNews: tally.examples.missed, repeated: tally.examples.repeated, dueMissed: audit.missedExamples },
  };
}
