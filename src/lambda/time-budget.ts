/**
 * A handler's time budget, from the Lambda context: the time left at the start of the
 * invocation, less a reserve for the requests still in flight (each may retry with
 * back-off) and for queueing the continuation. Work stops starting once it is spent.
 */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** The reserve: a fifth of the time left, at least 1 second and at most 60 seconds. */
export const RESERVE_FRACTION = 0.2;
export const MIN_RESERVE_MS = 1_000;
export const MAX_RESERVE_MS = 60_000;

export class TimeBudget {
  /** Epoch milliseconds after which no new work starts. */
  public readonly deadline: number;

  constructor(context: RemainingTime, private readonly clock: () => number = Date.now) {
    const remaining = context.getRemainingTimeInMillis();
    const reserve = Math.min(MAX_RESERVE_MS, Math.max(MIN_RESERVE_MS, remaining * RESERVE_FRACTION));
    this.deadline = clock() + remaining - reserve;
  }

  public exhausted(): boolean {
    return this.clock() >= this.deadline;
  }
}
