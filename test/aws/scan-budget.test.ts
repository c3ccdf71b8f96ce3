import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { BudgetCounters, LedgerBudgetCounters, MemoryBudgetCounters, ScanBudget } from '../../src/aws/scan-budget';
import { ScanTier, TierCounts } from '../../src/decisions/budget';
import { budgetKey } from '../../src/decisions/ledger';

const NOW = new Date('2026-12-03T06:00:00Z');

/** Memory counters with yesterday's demand seeded. */
function countersWith(yesterday: TierCounts): MemoryBudgetCounters {
  const counters = new MemoryBudgetCounters();
  void counters.add('2026-12-02', { demand: yesterday });
  return counters;
}

describe('ScanBudget.claim', () => {
  test('with no history every tier draws on the one allowance, first come first served, up to the budget exactly', async () => {
    const budget = new ScanBudget(new MemoryBudgetCounters(), 10, NOW);
    expect(await budget.claim('other', 4)).toEqual({ granted: 4, from: { other: 4 } });
    expect(await budget.claim('carried', 4)).toEqual({ granted: 4, from: { other: 4 } });
    expect(await budget.claim('in-use', 4)).toEqual({ granted: 2, from: { other: 2 } });
    expect(await budget.claim('carried', 1)).toEqual({ granted: 0, from: {} });
  });

  test('a tier keeps its allowance against lower tiers, and takes from theirs when its own is spent', async () => {
    // Yesterday: 3 carried, 4 in use, the rest other: allowances 3 / 4 / 0 / 3.
    const budget = new ScanBudget(countersWith({ 'carried': 3, 'in-use': 4, 'other': 50 }), 10, NOW);
    expect(await budget.allowancesToday()).toEqual({ 'carried': 3, 'in-use': 4, 'pulled': 0, 'other': 3 });
    // A repository of other images walked first takes only the other allowance.
    expect(await budget.claim('other', 20)).toEqual({ granted: 3, from: { other: 3 } });
    // Running images walked later still get theirs; carried ones too, and more in-use beyond its allowance get nothing.
    expect(await budget.claim('in-use', 6)).toEqual({ granted: 4, from: { 'in-use': 4 } });
    expect(await budget.claim('carried', 2)).toEqual({ granted: 2, from: { carried: 2 } });
    expect(await budget.claim('in-use', 1)).toEqual({ granted: 0, from: {} });
    // The last carried allowance, then nothing at all.
    expect(await budget.claim('carried', 5)).toEqual({ granted: 1, from: { carried: 1 } });
    expect(await budget.claim('carried', 1)).toEqual({ granted: 0, from: {} });
  });

  test('claims made at once never grant more than the budget between them', async () => {
    const counters = new MemoryBudgetCounters();
    const tiers: ScanTier[] = ['carried', 'in-use', 'pulled', 'other'];
    const budgets = Array.from({ length: 8 }, () => new ScanBudget(counters, 37, NOW));
    const grants = await Promise.all(budgets.flatMap((b, i) => tiers.map((t) => b.claim(t, 3 + i))));
    expect(grants.reduce((sum, g) => sum + g.granted, 0)).toBe(37);
  });

  test('a claim that loses a race reads the counter again and claims what is left', async () => {
    const memory = new MemoryBudgetCounters();
    let raced = false;
    const racing: BudgetCounters = {
      demand: (day) => memory.demand(day),
      claimed: (day) => memory.claimed(day),
      add: (day, changes) => memory.add(day, changes),
      claimIfAtMost: async (day, tier, n, max) => {
        if (!raced) {
          raced = true;
          // Another walk claims 7 of the 10 between this walk's read and its write.
          await memory.claimIfAtMost(day, tier, 7, max);
        }
        return memory.claimIfAtMost(day, tier, n, max);
      },
    };
    const budget = new ScanBudget(racing, 10, NOW);
    expect(await budget.claim('other', 5)).toEqual({ granted: 3, from: { other: 3 } });
    expect((await memory.claimed('2026-12-03')).other).toBe(10);
  });

  test('settle gives back what did not start, records the demand and the deferrals, and the next day reads the demand', async () => {
    const counters = new MemoryBudgetCounters();
    const today = new ScanBudget(counters, 10, NOW);
    await today.claim('in-use', 6);
    await today.settle({ other: 2 }, { 'in-use': 6, 'other': 9 }, 5);
    expect(await counters.claimed('2026-12-03')).toEqual({ other: 4 });
    expect(counters.deferred('2026-12-03')).toBe(5);
    const tomorrow = new ScanBudget(counters, 10, new Date('2026-12-04T01:00:00Z'));
    expect(await tomorrow.allowancesToday()).toEqual({ 'carried': 0, 'in-use': 6, 'pulled': 0, 'other': 4 });
  });
});

describe('LedgerBudgetCounters: the DynamoDB requests', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const counters = new LedgerBudgetCounters(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'Ledger');
  beforeEach(() => ddb.reset());

  test('a claim adds only while the counter stays within the allowance, on the day\'s item, with a TTL a week past the day', async () => {
    ddb.on(UpdateCommand).resolves({});
    expect(await counters.claimIfAtMost('2026-12-03', 'in-use', 4, 10)).toBe(true);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.Key).toEqual(budgetKey('2026-12-03'));
    expect(input.UpdateExpression).toContain('ADD #claimed :n');
    expect(input.ConditionExpression).toBe('attribute_not_exists(#claimed) OR #claimed <= :max');
    expect(input.ExpressionAttributeNames?.['#claimed']).toBe('claimedInUse');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':n': 4, ':max': 6, ':ttl': Date.parse('2026-12-11T00:00:00Z') / 1000 });
  });

  test('a refused condition is a refused claim; any other error is thrown', async () => {
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    expect(await counters.claimIfAtMost('2026-12-03', 'other', 1, 1)).toBe(false);
    ddb.reset();
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(counters.claimIfAtMost('2026-12-03', 'other', 1, 1)).rejects.toThrow('Throughput exceeded');
  });

  test('counters are read consistently for claims; a counter that is not a number counts as none', async () => {
    ddb.on(GetCommand).resolves({ Item: { claimedCarried: 3, claimedOther: 'x', demandPulled: 8 } });
    expect(await counters.claimed('2026-12-03')).toEqual({ carried: 3 });
    expect(ddb.commandCalls(GetCommand)[0].args[0].input.ConsistentRead).toBe(true);
    expect(await counters.demand('2026-12-02')).toEqual({ pulled: 8 });
  });

  test('add writes one UpdateItem of the non-zero changes, and none when there is nothing to add', async () => {
    ddb.on(UpdateCommand).resolves({});
    await counters.add('2026-12-03', { claimed: { other: -2 }, demand: { 'in-use': 5 }, deferred: 3 });
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toBe('SET #entity = :entity, #day = :day, #ttl = :ttl ADD #demandInUse :demandInUse, #claimedOther :claimedOther, #deferred :deferred');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':claimedOther': -2, ':demandInUse': 5, ':deferred': 3 });
    await counters.add('2026-12-03', { claimed: {}, demand: {}, deferred: 0 });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });
});
