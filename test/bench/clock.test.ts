import { CLOCK_OFFSET_ENV, installClock, offsetFromEnv, shiftedDate } from '../../local/bench/clock';

const DAY = 86_400_000;
/** A "real" clock that always reads 2026-12-01T10:00:00Z, so the tests need no timing. */
const REAL_NOW = Date.parse('2026-12-01T10:00:00.000Z');
class FixedDate extends Date {
  static now(): number {
    return REAL_NOW;
  }
}

describe('shiftedDate', () => {
  const Shifted = shiftedDate(2 * DAY, FixedDate as DateConstructor);

  test('new Date() and Date.now() read the shifted time', () => {
    expect(Shifted.now()).toBe(REAL_NOW + 2 * DAY);
    expect(new Shifted().toISOString()).toBe('2026-12-03T10:00:00.000Z');
  });

  test('explicit times, parse and UTC are not shifted', () => {
    expect(new Shifted(0).getTime()).toBe(0);
    expect(new Shifted('2026-11-27T12:00:00Z').toISOString()).toBe('2026-11-27T12:00:00.000Z');
    expect(new Shifted(2026, 0, 1).getFullYear()).toBe(2026);
    expect(Shifted.parse('1970-01-02T00:00:00Z')).toBe(DAY);
    expect(Shifted.UTC(1970, 0, 2)).toBe(DAY);
  });

  test('Date() called as a function gives the shifted time as text', () => {
    expect((Shifted as unknown as () => string)()).toBe(new Date(REAL_NOW + 2 * DAY).toString());
  });

  test('dates made before and after the switch are both instances of either constructor', () => {
    const OverReal = shiftedDate(DAY);
    expect(new OverReal()).toBeInstanceOf(Date);
    expect(new Date(5)).toBeInstanceOf(OverReal);
    expect(Object.getPrototypeOf(new OverReal())).toBe(Date.prototype);
    expect(Object.getPrototypeOf(new Shifted())).toBe(FixedDate.prototype);
  });

  test('a negative offset goes back; a non-finite one is refused', () => {
    expect(shiftedDate(-DAY, FixedDate as DateConstructor).now()).toBe(REAL_NOW - DAY);
    expect(() => shiftedDate(NaN)).toThrow(/finite number of milliseconds/);
  });
});

test('installClock replaces the global Date and puts the real one back', () => {
  const real = globalThis.Date;
  const restore = installClock(7 * DAY);
  try {
    expect(globalThis.Date).not.toBe(real);
    // The difference between the shifted and the real clock, read one after the other, is the offset
    // (give or take the milliseconds between the two reads).
    expect(Date.now() - real.now()).toBeGreaterThanOrEqual(7 * DAY);
    expect(Date.now() - real.now()).toBeLessThan(7 * DAY + 60_000);
  } finally {
    restore();
  }
  expect(globalThis.Date).toBe(real);
});

test.each([
  [{}, 0],
  [{ [CLOCK_OFFSET_ENV]: '' }, 0],
  [{ [CLOCK_OFFSET_ENV]: '172800000' }, 2 * DAY],
  [{ [CLOCK_OFFSET_ENV]: '-5' }, -5],
])('offsetFromEnv(%j) is %s', (env, offset) => {
  expect(offsetFromEnv(env)).toBe(offset);
});

test('offsetFromEnv refuses what is not a number', () => {
  expect(() => offsetFromEnv({ [CLOCK_OFFSET_ENV]: '2d' })).toThrow("BENCH_CLOCK_OFFSET_MS is a number of milliseconds (given '2d')");
  expect(() => offsetFromEnv({ [CLOCK_OFFSET_ENV]: 'Infinity' })).toThrow(/number of milliseconds/);
});
