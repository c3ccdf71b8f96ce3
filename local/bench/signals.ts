/**
 * What the handlers say about themselves on stdout, summed for the benchmark: their metrics
 * (CloudWatch embedded metric format, one JSON document per flush) and their warnings and errors
 * (Powertools JSON log lines). The bench's child process feeds each line here instead of printing
 * it, so a ledger write failure or a withheld report shows in the results without reading logs.
 * Plain functions, no I/O: test/bench/signals.test.ts covers them.
 */

export interface Signals {
  /** Metric name (and `name.reason` for a metric with a reason dimension) -> sum of its values. */
  readonly metrics: Record<string, number>;
  /** `LEVEL: message` -> count, for WARN and ERROR log lines. */
  readonly logs: Record<string, number>;
}

export function emptySignals(): Signals {
  return { metrics: {}, logs: {} };
}

function add(record: Record<string, number>, key: string, n: number): void {
  record[key] = (record[key] ?? 0) + n;
}

/** Adds one line of handler output to the sums; lines that are not JSON are ignored. */
export function addLine(signals: Signals, line: string): void {
  const text = line.trim();
  if (!text.startsWith('{')) return;
  let doc: Record<string, any>;
  try {
    doc = JSON.parse(text);
  } catch {
    return;
  }
  const directives = doc._aws?.CloudWatchMetrics;
  if (Array.isArray(directives)) {
    for (const directive of directives) {
      const dimensions: string[] = (directive.Dimensions ?? []).flat();
      const reason = dimensions.includes('reason') && typeof doc.reason === 'string' ? `.${doc.reason}` : '';
      for (const metric of directive.Metrics ?? []) {
        const value = doc[metric.Name];
        const values = Array.isArray(value) ? value : [value];
        for (const v of values) if (typeof v === 'number') add(signals.metrics, `${metric.Name}${reason}`, v);
      }
    }
    return;
  }
  const level = typeof doc.level === 'string' ? doc.level.toUpperCase() : '';
  if ((level === 'WARN' || level === 'ERROR' || level === 'CRITICAL') && typeof doc.message === 'string') add(signals.logs, `${level}: ${doc.message}`, 1);
}

/** A writer for process.stdout.write: whole lines go to `addLine`, a partial line waits for its end. */
export function lineSink(signals: Signals): (chunk: string | Uint8Array) => void {
  let pending = '';
  return (chunk) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) addLine(signals, line);
  };
}

/** Sums of several processes' signals (a day's stages). */
export function mergeSignals(...all: readonly Signals[]): Signals {
  const merged = emptySignals();
  for (const s of all) {
    for (const [k, v] of Object.entries(s.metrics)) add(merged.metrics, k, v);
    for (const [k, v] of Object.entries(s.logs)) add(merged.logs, k, v);
  }
  return merged;
}
