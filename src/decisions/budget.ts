/**
 * The daily scan budget: which due digests get one of the day's basic scans when there are more
 * due digests than scans, and which are deferred. Plain functions, no AWS client: the rescan walk
 * (../aws/rescan-repository.ts) and the command-line plan share them, with the counters kept in
 * the ledger (../aws/scan-budget.ts) or in memory.
 *
 * ECR allows 100,000 basic scans per registry per 24 hours, not adjustable. `dailyScanBudget`
 * (at most that, by default that) is this reporter's share, per UTC day, counted across every
 * concurrent walk. Due digests get a scan in this order, and the rest are deferred
 * (`deferred-budget`, counted and marked on their ledger entries):
 *
 * | tier       | the due digest                                                    | within the tier        |
 * | ---------- | ----------------------------------------------------------------- | ---------------------- |
 * | `carried`  | was deferred on an earlier day (its entry's `deferredOn`)          | longest deferred first |
 * | `in-use`   | runs, as the in-use discovery last saw it                          | most recently pulled   |
 * | `pulled`   | pulled within the last 30 days (`lastRecordedPullTime`)            | most recently pulled   |
 * | `other`    | none of these                                                      | oldest last scan first (never scanned first) |
 *
 * Each walk sorts the due digests of every DescribeImages page (up to 1,000 images) by that
 * order before it starts any of them. Across repositories, walked concurrently and in the order
 * SQS delivers them, the order holds by tier: each tier has an allowance, sized from the demand
 * the tier had the day before (`tierAllowances`), that only its digests and those of a tier
 * before it may use. A tier's digests may also use the allowances of the tiers after it; never
 * those before it. So yesterday's deferred digests, and then the running ones, are scanned
 * whichever repository they are in, as long as their demand is close to yesterday's. What a
 * tier does not use of its allowance is not given to lower tiers: on a day when demand shifts
 * between tiers, fewer scans than the budget may start, never more.
 */

/** ECR's quota of basic scans per registry per 24 hours, not adjustable. */
export const DAILY_BASIC_SCAN_QUOTA = 100_000;

/** A recent pull puts a due digest in the `pulled` tier. */
export const BUDGET_PULL_WINDOW_MS = 30 * 86_400_000;

export type ScanTier = 'carried' | 'in-use' | 'pulled' | 'other';

/** The tiers, first served first. */
export const SCAN_TIERS: readonly ScanTier[] = ['carried', 'in-use', 'pulled', 'other'];

/** What the order needs to know about a due digest. */
export interface BudgetCandidate {
  readonly imageDigest: string;
  /** The UTC day (YYYY-MM-DD) the digest was last deferred on, from its ledger entry. */
  readonly deferredOn?: string;
  /** Whether it runs: 'running' only when the in-use discovery saw it. */
  readonly inUse?: 'running' | 'not-running' | 'unknown';
  readonly lastPulledAt?: Date;
  /** The end of its last completed scan; absent when never scanned. */
  readonly lastScanAt?: Date;
}

/** The UTC day of a time, as YYYY-MM-DD: the budget's period. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The UTC day before `day` (YYYY-MM-DD). */
export function previousUtcDay(day: string): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000));
}

export function scanTier(candidate: BudgetCandidate, now: Date): ScanTier {
  if (candidate.deferredOn !== undefined && candidate.deferredOn < utcDay(now)) return 'carried';
  if (candidate.inUse === 'running') return 'in-use';
  if (candidate.lastPulledAt && now.getTime() - candidate.lastPulledAt.getTime() <= BUDGET_PULL_WINDOW_MS) return 'pulled';
  return 'other';
}

const time = (d: Date | undefined, missing: number) => (d && !Number.isNaN(d.getTime()) ? d.getTime() : missing);

/**
 * The budget's order: by tier, then within it as the table says, then by digest, so that the
 * same registry always gives the same order.
 */
export function compareForBudget(now: Date): (a: BudgetCandidate, b: BudgetCandidate) => number {
  const rank = (c: BudgetCandidate) => SCAN_TIERS.indexOf(scanTier(c, now));
  return (a, b) => {
    const tier = rank(a) - rank(b);
    if (tier !== 0) return tier;
    const t = SCAN_TIERS[rank(a)];
    let within = 0;
    if (t === 'carried') within = (a.deferredOn as string).localeCompare(b.deferredOn as string);
    if (within === 0 && t !== 'other') within = time(b.lastPulledAt, 0) - time(a.lastPulledAt, 0);
    if (within === 0) within = time(a.lastScanAt, -Infinity) - time(b.lastScanAt, -Infinity);
    if (Number.isNaN(within)) within = 0; // both never scanned: -Infinity - -Infinity
    return within !== 0 ? Math.sign(within) : a.imageDigest.localeCompare(b.imageDigest);
  };
}

/** How many due digests of each tier a day saw (started or deferred). */
export type TierCounts = Partial<Record<ScanTier, number>>;

/**
 * Each tier's allowance for a day: in tier order, as much of what is left of the budget as the
 * tier's demand the day before; the last tier also gets the rest. The allowances add up to the
 * budget. With no history (the first day, or a ledger that lost the item), all of it goes to the
 * last tier, which every tier may use: first come, first served, in each page's order.
 */
export function tierAllowances(budget: number, previousDemand: TierCounts): Record<ScanTier, number> {
  let left = budget;
  const allowances = {} as Record<ScanTier, number>;
  for (const tier of SCAN_TIERS) {
    const demand = Math.max(0, Math.floor(previousDemand[tier] ?? 0));
    allowances[tier] = Math.min(demand, left);
    left -= allowances[tier];
  }
  allowances[SCAN_TIERS[SCAN_TIERS.length - 1]] += left;
  return allowances;
}

/** The allowances a tier's digests may draw on, in the order they draw: its own, then those of the tiers after it. */
export function allowancesFor(tier: ScanTier): readonly ScanTier[] {
  return SCAN_TIERS.slice(SCAN_TIERS.indexOf(tier));
}
