/**
 * CloudWatch's embedded metric format, as the handlers' Powertools Metrics print it on stdout:
 * the metric values among captured log lines, and their sums, for tests to compare with what
 * happened.
 */

/** One metric value a handler published in CloudWatch's embedded metric format (an EMF line on stdout). */
export interface MetricValue {
  readonly namespace: string;
  readonly name: string;
  readonly value: number;
  /** The line's dimensions and their values, e.g. { service: 'ecr-scan-reporter', reason: 'fresh' }. */
  readonly dimensions: Record<string, string>;
}

/** Every metric value in the EMF lines among `lines` (Powertools Metrics' output); other lines are ignored. */
export function emfMetrics(lines: readonly Record<string, unknown>[]): MetricValue[] {
  const values: MetricValue[] = [];
  for (const line of lines) {
    const aws = line._aws as { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      const dimensions = Object.fromEntries(directive.Dimensions.flat().map((d) => [d, String(line[d])]));
      for (const { Name } of directive.Metrics) {
        const raw = line[Name];
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          values.push({ namespace: directive.Namespace, name: Name, value: Number(value), dimensions });
        }
      }
    }
  }
  return values;
}

/** The sum of a metric over `values`, for the dimension values given (a missing `reason` means the metric without one). */
export function sumMetric(
  values: readonly MetricValue[],
  name: string,
  dimensions: Record<string, string | undefined> = { reason: undefined },
): number {
  return values
    .filter((v) => v.name === name && Object.entries(dimensions).every(([k, d]) => v.dimensions[k] === d))
    .reduce((sum, v) => sum + v.value, 0);
}
