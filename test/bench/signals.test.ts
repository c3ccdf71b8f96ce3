import { addLine, emptySignals, lineSink, mergeSignals } from '../../local/bench/signals';

const emf = (metrics: Record<string, number>, dimensions: string[][] = [['service']], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    _aws: { Timestamp: 0, CloudWatchMetrics: [{ Namespace: 'EcrScanReporter', Dimensions: dimensions, Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })) }] },
    service: 'ecr-scan-reporter',
    ...extra,
    ...metrics,
  });

test('metric documents are summed by name, with a reason dimension as name.reason', () => {
  const signals = emptySignals();
  addLine(signals, emf({ LedgerWriteFailures: 1, ReportsPublished: 2 }));
  addLine(signals, emf({ LedgerWriteFailures: 3, ReportsPublished: 0 }));
  addLine(signals, emf({ ReportsWithheld: 4 }, [['service', 'reason']], { reason: 'not-new' }));
  expect(signals.metrics).toEqual({ 'LedgerWriteFailures': 4, 'ReportsPublished': 2, 'ReportsWithheld.not-new': 4 });
});

test('WARN and ERROR log lines are counted by message; INFO, text and broken JSON are ignored', () => {
  const signals = emptySignals();
  addLine(signals, JSON.stringify({ level: 'WARN', message: 'Ledger write failed: going on without it', repositoryName: 'a' }));
  addLine(signals, JSON.stringify({ level: 'WARN', message: 'Ledger write failed: going on without it', repositoryName: 'b' }));
  addLine(signals, JSON.stringify({ level: 'ERROR', message: 'Rescan failed' }));
  addLine(signals, JSON.stringify({ level: 'INFO', message: 'Report published' }));
  addLine(signals, 'plain text');
  addLine(signals, '{"level": "WARN"');
  expect(signals).toEqual({ metrics: {}, logs: { 'WARN: Ledger write failed: going on without it': 2, 'ERROR: Rescan failed': 1 } });
});

test('lineSink waits for the end of a line split across writes', () => {
  const signals = emptySignals();
  const write = lineSink(signals);
  const line = JSON.stringify({ level: 'WARN', message: 'split' });
  write(line.slice(0, 10));
  expect(signals.logs).toEqual({});
  write(Buffer.from(`${line.slice(10)}\n${line}`));
  expect(signals.logs).toEqual({ 'WARN: split': 1 });
  write('\n');
  expect(signals.logs).toEqual({ 'WARN: split': 2 });
});

test('mergeSignals adds several processes\' sums', () => {
  const a = { metrics: { X: 1 }, logs: { 'WARN: w': 1 } };
  const b = { metrics: { X: 2, Y: 1 }, logs: {} };
  expect(mergeSignals(a, b)).toEqual({ metrics: { X: 3, Y: 1 }, logs: { 'WARN: w': 1 } });
});
