import type { StageResult } from '../../local/bench/children';
import { assembleDay, DayInputs } from '../../local/bench/day-record';
import { DYNAMODB_SERVICE, costOf, keyOf } from '../../local/bench/dynamodb-cost';
import { ECR_SERVICE, ECS_SERVICE, LAMBDA_SERVICE, LoggedRequest } from '../../local/bench/measure';
import { tallyNews, tallyRunning } from '../../local/bench/news';

const ecr = (operation: string, status = 200): LoggedRequest => ({ service: ECR_SERVICE, operation, params: {}, status });
const KEY = { pk: { S: 'image#a@sha256:1' }, sk: { S: 'image' } };
const dynamo = (operation: string, params: Record<string, unknown>): LoggedRequest => ({ service: DYNAMODB_SERVICE, operation, params, status: 200 });
const stage = (wallSeconds: number, outcome: Record<string, unknown> = {}, metrics: Record<string, number> = {}): StageResult => ({
  wallSeconds,
  cpuSeconds: 0,
  maxRssKiB: 0,
  outcome,
  signals: { metrics, logs: {} },
});

function inputs(overrides: Partial<DayInputs> = {}): DayInputs {
  return {
    day: 2,
    simulatedAt: new Date('2026-12-02T10:00:00Z'),
    digestsGainingCves: 3,
    due: 2,
    floor: { statusReads: 10, scans: 2, imageListPages: 1, repositoryListPages: 1, total: 14 },
    audit: { requests: 2, accepted: ['a@sha256:1', 'a@sha256:2'], dueMissed: 0, duplicateScans: 0, notDueAttempts: 0, unknown: 0, missedExamples: [] },
    finished: [
      { key: 'a@sha256:1', status: 'COMPLETE', findings: [{ id: 'CVE-1', severity: 'HIGH' }] },
      { key: 'a@sha256:2', status: 'FAILED', findings: [] },
    ],
    cycleRequests: [
      ecr('DescribeImages'),
      ecr('StartImageScan'),
      ecr('StartImageScan'),
      dynamo('BatchGetItem', { RequestItems: { ledger: { Keys: [KEY] } } }),
      dynamo('UpdateItem', { Key: KEY }),
    ],
    reportRequests: [ecr('DescribeImageScanFindings'), dynamo('GetItem', { Key: KEY, ConsistentRead: true }), dynamo('UpdateItem', { Key: KEY })],
    ledgerSizes: new Map([[keyOf(KEY), 1500]]),
    notificationsByNews: { 'first-report': 1, 'newly-failed': 1 },
    tally: tallyNews(new Map([['a@sha256:1', 'first-report'], ['a@sha256:2', 'newly-failed']]), ['a@sha256:1', 'a@sha256:2']),
    python: false,
    stages: { dispatch: stage(1, {}, { ScansStarted: 0 }), rescan: stage(2, {}, { ScansStarted: 2 }) },
    report: stage(3, { events: 2, published: 2, outcomes: { 'published: threshold-reached': 1 }, news: { 'first-report': 1 }, errors: 0, errorMessages: {} }),
    finishSeconds: 0.5,
    ...overrides,
  };
}

test('a library day: ECR calls by stage against the floor, DynamoDB units priced at the items\' sizes, the news tally', () => {
  const day = assembleDay(inputs());
  expect(day).toMatchObject({
    day: 2,
    simulatedAt: '2026-12-02T10:00:00.000Z',
    digestsGainingCves: 3,
    due: 2,
    ecrCalls: { total: 4, cycle: { total: 3 }, report: { total: 1, byOperation: { DescribeImageScanFindings: 1 } } },
    callsToFloor: 4 / 14,
    cycleCallsToFloor: 3 / 14,
    scans: { requests: 2, started: 2, finishedComplete: 1, finishedFailed: 1, dueMissed: 0, duplicateScans: 0 },
    notifications: 2,
    notificationsByNews: { 'first-report': 1, 'newly-failed': 1 },
    news: 2,
    missedNews: 0,
    repeats: 0,
    reportErrors: 0,
    report: { events: 2, published: 2 },
    signals: { metrics: { ScansStarted: 2 }, logs: {} },
    ledgerItems: { count: 1, maxBytes: 1500, medianBytes: 1500 },
    wallSeconds: { dispatch: 1, rescan: 2, finishScans: 0.5, report: 3 },
  });
  // A 1,500-byte item: a BatchGetItem key 0.5 RRU, a consistent GetItem 1 RRU, each UpdateItem 2 WRU.
  expect(day.dynamodbCalls).toMatchObject({
    total: 4,
    byOperation: { BatchGetItem: 1, GetItem: 1, UpdateItem: 2 },
    readRequestUnits: 1.5,
    writeRequestUnits: 4,
    cycle: { total: 2, readRequestUnits: 0.5, writeRequestUnits: 2 },
    report: { total: 2, readRequestUnits: 1, writeRequestUnits: 2 },
  });
  expect(day.dynamodbCalls.costUsd).toBeCloseTo(costOf(1.5, 4), 15);
});

test('a Python day: no ledger, no signals, its errors counted', () => {
  const day = assembleDay(
    inputs({
      python: true,
      ledgerSizes: undefined,
      notificationsByNews: undefined,
      cycleRequests: [ecr('ListImages'), ecr('StartImageScan', 400)],
      reportRequests: [],
      report: stage(3, { invocations: 2, errors: 1, errorMessages: { 'KeyError: 0': 1 }, thresholds: { CRITICAL: '1' } }),
      tally: tallyNews(new Map([['a@sha256:2', 'newly-failed']]), []),
    }),
  );
  expect(day).toMatchObject({
    ecrCalls: { total: 2, refused: { cycle: 1, report: 0 } },
    dynamodbCalls: { total: 0, costUsd: 0 },
    reportErrors: 1,
    report: { invocations: 2, errorMessages: { 'KeyError: 0': 1 }, thresholds: { CRITICAL: '1' } },
    news: 1,
    missedNews: 1,
    examples: { missedNews: ['a@sha256:2'] },
  });
  expect(day).not.toHaveProperty('signals');
  expect(day).not.toHaveProperty('ledgerItems');
  expect(day).not.toHaveProperty('notificationsByNews');
});

test('the discovery\'s ECS and Lambda calls are counted apart from ECR\'s; the running-images tally is kept when given', () => {
  const call = (service: string, operation: string): LoggedRequest => ({ service, operation, params: {}, status: 200 });
  const news = new Map([['a@sha256:1', 'first-report'], ['a@sha256:2', 'newly-failed']] as const);
  const day = assembleDay(
    inputs({
      cycleRequests: [
        call(ECS_SERVICE, 'ListClusters'),
        call(ECS_SERVICE, 'ListTasks'),
        call(ECS_SERVICE, 'DescribeTasks'),
        call(LAMBDA_SERVICE, 'ListFunctions'),
        call(LAMBDA_SERVICE, 'GetFunction'),
        call(LAMBDA_SERVICE, 'GetFunction'),
        ecr('StartImageScan'),
      ],
      reportRequests: [ecr('DescribeImages'), ecr('DescribeImageScanFindings')],
      running: { tally: tallyRunning(news, ['a@sha256:1'], new Set(['a@sha256:1'])), digests: 4, scansFinished: 1 },
    }),
  );
  expect(day.ecrCalls).toMatchObject({ total: 3, cycle: { total: 1 }, report: { total: 2 } });
  expect(day.ecsCalls).toEqual({ total: 3, byOperation: { DescribeTasks: 1, ListClusters: 1, ListTasks: 1 } });
  expect(day.lambdaCalls).toEqual({ total: 3, byOperation: { GetFunction: 2, ListFunctions: 1 } });
  expect(day.runningImages).toMatchObject({
    news: 1, allNews: 2, notifications: 1, aboutRunning: 1, missedNews: 0, repeats: 0, digests: 4, scansFinished: 1,
  });
  expect(assembleDay(inputs())).not.toHaveProperty('runningImages');
  expect(assembleDay(inputs()).ecsCalls).toEqual({ total: 0, byOperation: {} });
});
