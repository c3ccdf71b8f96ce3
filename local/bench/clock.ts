/**
 * A clock shifted by a constant offset, for the benchmark's simulated days: day d runs with every
 * clock d-1 days ahead, ECR's in the emulator (`Emulator.setClock`) and the handlers' here. The
 * handlers read the time through the global `Date` (`new Date()`, `Date.now()`), deep inside their
 * bundles, so the child process replaces the global before it loads them; nothing in the handlers
 * changes.
 *
 * `new Date()` and `Date.now()` read the shifted time; `new Date(x)`, `Date.parse`, `Date.UTC` and
 * `instanceof Date` behave as before (a Proxy over the real constructor, so dates made before and
 * after the switch share one prototype). `performance.now()` and timers are untouched: they
 * measure durations, which the offset does not change.
 */

/** The environment variable the parent sets for its child processes: milliseconds ahead of the real clock. */
export const CLOCK_OFFSET_ENV = 'BENCH_CLOCK_OFFSET_MS';

/** A `Date` constructor whose "now" is `offsetMs` after `base`'s. */
export function shiftedDate(offsetMs: number, base: DateConstructor = Date): DateConstructor {
  if (!Number.isFinite(offsetMs)) throw new Error(`a clock offset is a finite number of milliseconds (given ${offsetMs})`);
  const now = () => base.now() + offsetMs;
  return new Proxy(base, {
    construct(target, args, newTarget) {
      // newTarget is this proxy (or a subclass of it); its `prototype` is the real Date.prototype.
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    // `Date()` called as a function returns the current time as a string.
    apply() {
      return new base(now()).toString();
    },
    get(target, property, receiver) {
      if (property === 'now') return now;
      return Reflect.get(target, property, receiver);
    },
  });
}

/**
 * Replaces the global `Date` with one `offsetMs` ahead. Returns a function that puts the real one
 * back (tests use it; the bench's child processes never switch back).
 */
export function installClock(offsetMs: number): () => void {
  const real = globalThis.Date;
  globalThis.Date = shiftedDate(offsetMs, real);
  return () => {
    globalThis.Date = real;
  };
}

/** The offset the parent gave this process (0 when unset), for `installClock`. */
export function offsetFromEnv(env: Record<string, string | undefined>): number {
  const raw = env[CLOCK_OFFSET_ENV];
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!Number.isFinite(value) || !/^-?\d+(\.\d+)?$/.test(raw)) throw new Error(`${CLOCK_OFFSET_ENV} is a number of milliseconds (given '${raw}')`);
  return value;
}
