import { MAX_RESERVE_MS, MIN_RESERVE_MS, RESERVE_FRACTION, TimeBudget } from '../../src/lambda/time-budget';

/** A clock the test moves by hand, starting at an arbitrary epoch. */
function manualClock(start = 1_764_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), start };
}

const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

describe('TimeBudget', () => {
  test('the reserve is a fifth of the time left, at least 1 s and at most 60 s', () => {
    expect([RESERVE_FRACTION, MIN_RESERVE_MS, MAX_RESERVE_MS]).toEqual([0.2, 1_000, 60_000]);
  });

  test.each<[string, number, number]>([
    // [label, remaining ms, expected reserve ms]
    ['15 minutes: clamped to the 60 s maximum', 900_000, 60_000],
    ['just above the maximum (301 s)', 301_000, 60_000],
    ['exactly at the maximum (300 s)', 300_000, 60_000],
    ['in between (60 s): a fifth', 60_000, 12_000],
    ['in between (10 s): a fifth', 10_000, 2_000],
    ['exactly at the minimum (5 s)', 5_000, 1_000],
    ['just below the minimum (4 s): clamped to 1 s', 4_000, 1_000],
    ['3 s: clamped to the 1 s minimum', 3_000, 1_000],
  ])('%s', (_label, left, reserve) => {
    const clock = manualClock();
    const budget = new TimeBudget(remaining(left), clock.now);
    expect(budget.deadline - clock.start).toBe(left - reserve);
  });

  test('less time left than the minimum reserve: spent from the start', () => {
    const clock = manualClock();
    const budget = new TimeBudget(remaining(800), clock.now);
    expect(budget.deadline).toBe(clock.start - 200);
    expect(budget.exhausted()).toBe(true);
  });

  test('no time left at all: spent from the start', () => {
    const clock = manualClock();
    expect(new TimeBudget(remaining(0), clock.now).exhausted()).toBe(true);
  });

  test('exhausted() turns true exactly at the deadline, and stays true', () => {
    const clock = manualClock();
    // 10 s left, 2 s reserve: 8 s of work.
    const budget = new TimeBudget(remaining(10_000), clock.now);
    expect(budget.exhausted()).toBe(false);
    clock.advance(7_999);
    expect(budget.exhausted()).toBe(false);
    clock.advance(1);
    expect(budget.exhausted()).toBe(true);
    clock.advance(60_000);
    expect(budget.exhausted()).toBe(true);
  });

  test('the remaining time is read once, when the budget is made', () => {
    const clock = manualClock();
    const context = { getRemainingTimeInMillis: jest.fn(() => 10_000) };
    const budget = new TimeBudget(context, clock.now);
    context.getRemainingTimeInMillis.mockReturnValue(1);
    clock.advance(5_000);
    expect(budget.exhausted()).toBe(false);
    expect(context.getRemainingTimeInMillis).toHaveBeenCalledTimes(1);
  });

  test('without a clock, Date.now is used', () => {
    const before = Date.now();
    const budget = new TimeBudget(remaining(10_000));
    const after = Date.now();
    expect(budget.deadline).toBeGreaterThanOrEqual(before + 8_000);
    expect(budget.deadline).toBeLessThanOrEqual(after + 8_000);
    expect(budget.exhausted()).toBe(false);
  });
});
