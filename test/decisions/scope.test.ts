import { InUseStatus } from '../../src/decisions/in-use';
import {
  ALL_IMAGES,
  ImageScopeConfig,
  MAX_PULLED_WITHIN_DAYS,
  MIN_PULLED_WITHIN_DAYS,
  ScopeInput,
  ScopeVerdict,
  decideScope,
  parseScope,
  scopeNeedsInUse,
  scopeToString,
} from '../../src/decisions/scope';

const NOW = new Date('2026-12-01T03:00:00.000Z');
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

const ALL: ImageScopeConfig = { kind: 'all' };
const IN_USE: ImageScopeConfig = { kind: 'in-use' };
const PULLED_90: ImageScopeConfig = { kind: 'pulled-within', pulledWithinDays: 90 };
const EITHER_30: ImageScopeConfig = { kind: 'in-use-or-pulled-within', pulledWithinDays: 30 };

function input(inUse: InUseStatus, pulls: { lastPulledAt?: Date; pushedAt?: Date } = {}): ScopeInput {
  return { now: NOW, inUse, ...pulls };
}

const within = (reason: ScopeVerdict['reason']): ScopeVerdict => ({ inScope: true, reason });
const out = (reason: ScopeVerdict['reason']): ScopeVerdict => ({ inScope: false, reason });

interface Row {
  readonly situation: string;
  readonly scope: ImageScopeConfig;
  readonly input: ScopeInput;
  readonly expected: ScopeVerdict;
}

// The module comment's table, row by row: all, in-use, pulled-within:<days>, in-use-or-pulled-within:<days>.
const TABLE: Row[] = [
  // `all`: always.
  { situation: 'all: an image that runs', scope: ALL, input: input('running'), expected: within('all-images') },
  { situation: 'all: an image that does not run, pulled years ago', scope: ALL, input: input('not-running', { lastPulledAt: daysAgo(1000) }), expected: within('all-images') },
  { situation: 'all: nothing known about the image', scope: ALL, input: input('unknown'), expected: within('all-images') },

  // `in-use`: the last discovery saw it, or nothing can tell.
  { situation: 'in-use: seen running by the last discovery', scope: IN_USE, input: input('running'), expected: within('in-use') },
  { situation: 'in-use: not seen by a recent discovery', scope: IN_USE, input: input('not-running', { lastPulledAt: daysAgo(1) }), expected: out('not-in-use') },
  { situation: 'in-use: nothing can tell (no recent discovery, ledger unreadable): in scope', scope: IN_USE, input: input('unknown'), expected: within('in-use-unknown') },
  { situation: 'in-use: a pull hours ago does not make an idle image in use', scope: IN_USE, input: input('not-running', { lastPulledAt: daysAgo(0.5) }), expected: out('not-in-use') },

  // `pulled-within:<days>`: the last pull, or the push when never pulled, at most that old.
  { situation: 'pulled-within: pulled yesterday', scope: PULLED_90, input: input('not-running', { lastPulledAt: daysAgo(1) }), expected: within('pulled-recently') },
  { situation: 'pulled-within: pulled exactly 90 days ago (the window is inclusive)', scope: PULLED_90, input: input('unknown', { lastPulledAt: daysAgo(90) }), expected: within('pulled-recently') },
  {
    situation: 'pulled-within: pulled 90 days and a second ago',
    scope: PULLED_90,
    input: input('unknown', { lastPulledAt: new Date(daysAgo(90).getTime() - 1000) }),
    expected: out('not-pulled-recently'),
  },
  { situation: 'pulled-within: never pulled, pushed last week (a push counts as a pull)', scope: PULLED_90, input: input('unknown', { pushedAt: daysAgo(7) }), expected: within('pulled-recently') },
  { situation: 'pulled-within: never pulled, pushed a year ago', scope: PULLED_90, input: input('unknown', { pushedAt: daysAgo(365) }), expected: out('not-pulled-recently') },
  {
    situation: 'pulled-within: pulled long ago but pushed again recently: the later of the two counts',
    scope: PULLED_90,
    input: input('unknown', { lastPulledAt: daysAgo(200), pushedAt: daysAgo(10) }),
    expected: within('pulled-recently'),
  },
  { situation: 'pulled-within: running does not matter, only the pull', scope: PULLED_90, input: input('running', { lastPulledAt: daysAgo(120) }), expected: out('not-pulled-recently') },
  { situation: 'pulled-within: neither a pull nor a push time (nothing can tell): in scope', scope: PULLED_90, input: input('not-running'), expected: within('pull-time-unknown') },
  {
    situation: 'pulled-within: unreadable dates count as unknown, not as old',
    scope: PULLED_90,
    input: input('not-running', { lastPulledAt: new Date('not a date'), pushedAt: new Date(NaN) }),
    expected: within('pull-time-unknown'),
  },
  {
    situation: 'pulled-within: an unreadable pull time next to a readable old push',
    scope: PULLED_90,
    input: input('not-running', { lastPulledAt: new Date(NaN), pushedAt: daysAgo(400) }),
    expected: out('not-pulled-recently'),
  },

  // `in-use-or-pulled-within:<days>`: either of the two rows above.
  { situation: 'in-use-or-pulled-within: running, never pulled for a year', scope: EITHER_30, input: input('running', { lastPulledAt: daysAgo(365) }), expected: within('in-use') },
  { situation: 'in-use-or-pulled-within: not running, pulled last week', scope: EITHER_30, input: input('not-running', { lastPulledAt: daysAgo(7) }), expected: within('pulled-recently') },
  { situation: 'in-use-or-pulled-within: not running, pulled 31 days ago: neither', scope: EITHER_30, input: input('not-running', { lastPulledAt: daysAgo(31) }), expected: out('neither') },
  { situation: 'in-use-or-pulled-within: use unknown, pulled 31 days ago: in scope', scope: EITHER_30, input: input('unknown', { lastPulledAt: daysAgo(31) }), expected: within('in-use-unknown') },
  { situation: 'in-use-or-pulled-within: use unknown, pulled yesterday: the pull is the reason', scope: EITHER_30, input: input('unknown', { lastPulledAt: daysAgo(1) }), expected: within('pulled-recently') },
  { situation: 'in-use-or-pulled-within: not running, no pull or push time: in scope', scope: EITHER_30, input: input('not-running'), expected: within('pull-time-unknown') },
  { situation: 'in-use-or-pulled-within: use unknown, no pull or push time', scope: EITHER_30, input: input('unknown'), expected: within('in-use-unknown') },
  { situation: 'in-use-or-pulled-within: not running, never pulled, pushed today', scope: EITHER_30, input: input('not-running', { pushedAt: NOW }), expected: within('pulled-recently') },
];

describe('decideScope', () => {
  test.each(TABLE.map((row) => [row.situation, row] as const))('%s', (_situation, row) => {
    expect(decideScope(row.scope, row.input)).toEqual(row.expected);
  });

  test('a pull time in the future (clock skew) is recent, not out of scope', () => {
    expect(decideScope(PULLED_90, input('not-running', { lastPulledAt: new Date(NOW.getTime() + DAY_MS) }))).toEqual(within('pulled-recently'));
  });

  test('the window is the scope\'s: 1 day keeps yesterday\'s pull and drops the day before', () => {
    const oneDay: ImageScopeConfig = { kind: 'pulled-within', pulledWithinDays: 1 };
    expect(decideScope(oneDay, input('unknown', { lastPulledAt: daysAgo(1) })).inScope).toBe(true);
    expect(decideScope(oneDay, input('unknown', { lastPulledAt: daysAgo(1.01) })).inScope).toBe(false);
  });
});

describe('parseScope and scopeToString: the functions\' environment form', () => {
  test.each<[string | undefined, ImageScopeConfig]>([
    [undefined, ALL_IMAGES],
    ['', ALL_IMAGES],
    ['all', ALL_IMAGES],
    ['in-use', IN_USE],
    ['pulled-within:90', PULLED_90],
    ['pulled-within:1', { kind: 'pulled-within', pulledWithinDays: MIN_PULLED_WITHIN_DAYS }],
    ['pulled-within:3650', { kind: 'pulled-within', pulledWithinDays: MAX_PULLED_WITHIN_DAYS }],
    ['in-use-or-pulled-within:30', EITHER_30],
  ])('%j parses', (value, expected) => {
    expect(parseScope(value)).toEqual(expected);
  });

  test.each([
    'ALL',
    'in_use',
    'in-use:30',
    'pulled-within',
    'pulled-within:',
    'pulled-within:0',
    'pulled-within:3651',
    'pulled-within:-5',
    'pulled-within:1.5',
    'pulled-within:90d',
    'pulled-within: 90',
    'in-use-or-pulled-within:0',
    'recent',
  ])('%j throws quoting the value and naming the forms', (value) => {
    expect(() => parseScope(value)).toThrow(
      `an image scope must be all, in-use, pulled-within:DAYS or in-use-or-pulled-within:DAYS with DAYS from 1 to 3650; got ${JSON.stringify(value)}`,
    );
  });

  test.each<[ImageScopeConfig, string]>([
    [ALL, 'all'],
    [IN_USE, 'in-use'],
    [PULLED_90, 'pulled-within:90'],
    [EITHER_30, 'in-use-or-pulled-within:30'],
  ])('%j is written as %j and reads back the same', (scope, text) => {
    expect(scopeToString(scope)).toBe(text);
    expect(parseScope(scopeToString(scope))).toEqual(scope);
  });

  test('the limits: a day (lastRecordedPullTime is refreshed daily) to ten years', () => {
    expect([MIN_PULLED_WITHIN_DAYS, MAX_PULLED_WITHIN_DAYS]).toEqual([1, 3650]);
  });
});

describe('scopeNeedsInUse', () => {
  test.each<[ImageScopeConfig, boolean]>([
    [ALL, false],
    [IN_USE, true],
    [PULLED_90, false],
    [EITHER_30, true],
  ])('%j: %s', (scope, expected) => {
    expect(scopeNeedsInUse(scope)).toBe(expected);
  });
});
