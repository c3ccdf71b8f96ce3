/**
 * The daily scan budget's counters (the rules: ../decisions/budget.ts): one ledger item per UTC
 * day, `scan-budget#<day>`, holding per tier the scans claimed (`claimed<Tier>`) and the due
 * digests seen (`demand<Tier>`), and the digests deferred that day. A claim is an UpdateItem
 * that adds to a tier's counter only while it stays within the tier's allowance (a condition on
 * the counter), so concurrent walks never claim more than the budget between them; a claim that
 * loses a race reads the counter again (strongly consistent) and claims what is left.
 *
 * `MemoryBudgetCounters` keeps the same counters in memory, for the command-line plan (one
 * process, no history) and tests.
 */
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './ledger';
import { SCAN_TIERS, ScanTier, TierCounts, allowancesFor, previousUtcDay, tierAllowances, utcDay } from '../decisions/budget';
import { LEDGER_TTL_ATTRIBUTE, budgetKey } from '../decisions/ledger';

/** Where the counters live. */
export interface BudgetCounters {
  /** The tier demand recorded for `day`; {} when nothing was recorded. */
  demand(day: string): Promise<TierCounts>;
  /** Adds `n` to `tier`'s claims of `day` if they stay at or below `max`; false when they would not. */
  claimIfAtMost(day: string, tier: ScanTier, n: number, max: number): Promise<boolean>;
  /** The claims of `day` by tier, read consistently. */
  claimed(day: string): Promise<TierCounts>;
  /** Adds to the day's counters without a condition: demand seen, deferrals, and claims given back (negative). */
  add(day: string, changes: { readonly claimed?: TierCounts; readonly demand?: TierCounts; readonly deferred?: number }): Promise<void>;
}

/** Attempts of one conditional claim before it gives up on a counter (each lost race reads it again). */
const CLAIM_ATTEMPTS = 5;

const capitalised = (tier: ScanTier) =>
  tier
    .split('-')
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
const claimedAttribute = (tier: ScanTier) => `claimed${capitalised(tier)}`;
const demandAttribute = (tier: ScanTier) => `demand${capitalised(tier)}`;

/** The counters could not be read or written: the walk goes on as without a budget, and counts which it was. */
export class BudgetUnavailableError extends Error {
  constructor(
    public readonly operation: 'read' | 'write',
    /** The error the counters' request ended with. */
    public readonly reason: unknown,
  ) {
    super(`the scan budget's counters could not be ${operation === 'read' ? 'read' : 'written'}: ${(reason as Error)?.message ?? String(reason)}`);
    this.name = 'BudgetUnavailableError';
  }
}

const guarded = async <T>(operation: 'read' | 'write', call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw new BudgetUnavailableError(operation, error);
  }
};

/** A claim's outcome: how many scans it may start, and from which tiers' allowances (to give back what is not used). */
export interface Grant {
  readonly granted: number;
  readonly from: TierCounts;
}

/**
 * One reporter's budget for one walk's day (`now`'s UTC day). The allowances come from the
 * previous day's demand, read once.
 */
export class ScanBudget {
  public readonly day: string;
  private allowances?: Promise<Record<ScanTier, number>>;

  constructor(
    private readonly counters: BudgetCounters,
    public readonly dailyBudget: number,
    now: Date,
  ) {
    this.day = utcDay(now);
  }

  /** Each tier's allowance today; a failed read is tried again at the next claim. */
  public allowancesToday(): Promise<Record<ScanTier, number>> {
    this.allowances ??= guarded('read', () => this.counters.demand(previousUtcDay(this.day))).then(
      (demand) => tierAllowances(this.dailyBudget, demand),
      (error) => {
        this.allowances = undefined;
        throw error;
      },
    );
    return this.allowances;
  }

  /**
   * Claims up to `n` scans for due digests of `tier`: from its own allowance, then from those of
   * the tiers after it, never from those before it.
   */
  public async claim(tier: ScanTier, n: number): Promise<Grant> {
    const allowances = await this.allowancesToday();
    const from: TierCounts = {};
    let granted = 0;
    let claimed: TierCounts | undefined;
    for (const source of allowancesFor(tier)) {
      const allowance = allowances[source];
      let want = Math.min(n - granted, allowance);
      for (let attempt = 0; want > 0 && attempt < CLAIM_ATTEMPTS; attempt++) {
        if (await guarded('write', () => this.counters.claimIfAtMost(this.day, source, want, allowance))) {
          from[source] = want;
          granted += want;
          break;
        }
        // Lost a race, or the allowance is spent: claim what is left of it.
        claimed = await guarded('read', () => this.counters.claimed(this.day));
        want = Math.min(want, allowance - (claimed[source] ?? 0));
      }
      if (granted === n) break;
    }
    return { granted, from };
  }

  /** Gives back claimed scans that did not start, and records the page's demand and deferrals. */
  public async settle(unused: TierCounts, demand: TierCounts, deferred: number): Promise<void> {
    const giveBack = Object.fromEntries(Object.entries(unused).filter(([, v]) => (v ?? 0) > 0).map(([k, v]) => [k, -(v as number)])) as TierCounts;
    if (Object.keys(giveBack).length === 0 && Object.keys(demand).length === 0 && deferred === 0) return;
    await guarded('write', () => this.counters.add(this.day, { claimed: giveBack, demand, deferred }));
  }
}

/** The counters in memory: the command-line plan's (one process, no earlier day). */
export class MemoryBudgetCounters implements BudgetCounters {
  private readonly days = new Map<string, { claimed: Record<string, number>; demand: Record<string, number>; deferred: number }>();

  public async demand(day: string): Promise<TierCounts> {
    return { ...(this.days.get(day)?.demand ?? {}) };
  }
  public async claimIfAtMost(day: string, tier: ScanTier, n: number, max: number): Promise<boolean> {
    const d = this.of(day);
    if ((d.claimed[tier] ?? 0) + n > max) return false;
    d.claimed[tier] = (d.claimed[tier] ?? 0) + n;
    return true;
  }
  public async claimed(day: string): Promise<TierCounts> {
    return { ...this.of(day).claimed };
  }
  public async add(day: string, changes: { claimed?: TierCounts; demand?: TierCounts; deferred?: number }): Promise<void> {
    const d = this.of(day);
    for (const [tier, n] of Object.entries(changes.claimed ?? {})) d.claimed[tier] = (d.claimed[tier] ?? 0) + (n ?? 0);
    for (const [tier, n] of Object.entries(changes.demand ?? {})) d.demand[tier] = (d.demand[tier] ?? 0) + (n ?? 0);
    d.deferred += changes.deferred ?? 0;
  }
  /** Deferred digests recorded for `day` (tests). */
  public deferred(day: string): number {
    return this.of(day).deferred;
  }
  private of(day: string) {
    let d = this.days.get(day);
    if (!d) this.days.set(day, (d = { claimed: {}, demand: {}, deferred: 0 }));
    return d;
  }
}

/** Budget items live a week past their day: the next day reads the previous day's demand. */
const BUDGET_ITEM_TTL_SECONDS = 8 * 86_400;

/** The counters on the ledger's `scan-budget#<day>` items. */
export class LedgerBudgetCounters implements BudgetCounters {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async demand(day: string): Promise<TierCounts> {
    const response = await this.client.send(new GetCommand({ TableName: this.tableName, Key: budgetKey(day) }));
    return this.counts(response.Item, demandAttribute);
  }

  public async claimIfAtMost(day: string, tier: ScanTier, n: number, max: number): Promise<boolean> {
    const attribute = claimedAttribute(tier);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: budgetKey(day),
          UpdateExpression: 'SET #entity = :entity, #day = :day, #ttl = :ttl ADD #claimed :n',
          ConditionExpression: 'attribute_not_exists(#claimed) OR #claimed <= :max',
          ExpressionAttributeNames: { '#entity': 'entity', '#day': 'day', '#ttl': LEDGER_TTL_ATTRIBUTE, '#claimed': attribute },
          ExpressionAttributeValues: { ':entity': 'scan-budget', ':day': day, ':ttl': this.ttl(day), ':n': n, ':max': max - n },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  public async claimed(day: string): Promise<TierCounts> {
    const response = await this.client.send(new GetCommand({ TableName: this.tableName, Key: budgetKey(day), ConsistentRead: true }));
    return this.counts(response.Item, claimedAttribute);
  }

  public async add(day: string, changes: { claimed?: TierCounts; demand?: TierCounts; deferred?: number }): Promise<void> {
    const names: Record<string, string> = { '#entity': 'entity', '#day': 'day', '#ttl': LEDGER_TTL_ATTRIBUTE };
    const values: Record<string, unknown> = { ':entity': 'scan-budget', ':day': day, ':ttl': this.ttl(day) };
    const adds: string[] = [];
    const addTo = (attribute: string, n: number | undefined) => {
      if (!n) return;
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = n;
      adds.push(`#${attribute} :${attribute}`);
    };
    for (const tier of SCAN_TIERS) {
      addTo(claimedAttribute(tier), changes.claimed?.[tier]);
      addTo(demandAttribute(tier), changes.demand?.[tier]);
    }
    addTo('deferred', changes.deferred);
    if (adds.length === 0) return;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: budgetKey(day),
        UpdateExpression: `SET #entity = :entity, #day = :day, #ttl = :ttl ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  private ttl(day: string): number {
    return Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + BUDGET_ITEM_TTL_SECONDS;
  }

  private counts(item: Record<string, unknown> | undefined, attribute: (tier: ScanTier) => string): TierCounts {
    const counts: TierCounts = {};
    for (const tier of SCAN_TIERS) {
      const value = item?.[attribute(tier)];
      // A counter that is not a number (written by hand, or by another schema) counts as none.
      if (typeof value === 'number' && Number.isFinite(value)) counts[tier] = value;
    }
    return counts;
  }
}
