/**
 * Runs `worker` over `items` with at most `limit` calls in flight, and returns
 * the results in input order. The first rejection rejects the whole call once
 * the calls in flight have settled, so no request is left running unobserved.
 *
 * With `shouldStop`, no new item is started once it returns true (checked before
 * each start, after the first): the items are taken in order and every started one
 * completes, so the results are those of a prefix of `items`, never with a gap.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  worker: (item: T, index: number) => Promise<R>,
  shouldStop?: () => boolean,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency limit must be a positive integer; got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      if (shouldStop && next > 0 && (stopped || shouldStop())) {
        stopped = true;
        return;
      }
      const index = next++;
      try {
        results[index] = await worker(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
  return next < items.length ? results.slice(0, next) : results;
}
