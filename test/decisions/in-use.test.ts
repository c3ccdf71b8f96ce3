import {
  DiscoveryMarker,
  InUseInput,
  InUsePlace,
  InUseView,
  MAX_PLACES_KEPT,
  MAX_PLACES_LISTED,
  inUseSummary,
  inUseView,
  mergePlaces,
  parseDiscoveryMarker,
  parseInUse,
  placeKey,
  storedInUse,
} from '../../src/decisions/in-use';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const NOW = new Date('2026-12-01T03:30:00.000Z');
/** The last completed discovery: today's, 03:00 to 03:10. */
const MARKER: DiscoveryMarker = { startedAt: new Date('2026-12-01T03:00:00.000Z'), completedAt: new Date('2026-12-01T03:10:00.000Z') };
/** Seen by the last completed discovery. */
const SEEN_TODAY = new Date('2026-12-01T03:00:05.000Z');
/** Seen by yesterday's discovery, not by today's. */
const SEEN_YESTERDAY = new Date('2026-11-30T03:00:05.000Z');
const HOLD_MS = 49 * HOUR_MS;

const service = (name: string, count: number, seenAt = SEEN_TODAY, cluster = 'prod'): InUsePlace => ({ kind: 'ecs-service', name, cluster, count, seenAt });
const lambdaFn = (name: string, seenAt = SEEN_TODAY): InUsePlace => ({ kind: 'lambda', name, seenAt });

describe('placeKey', () => {
  test.each<[Pick<InUsePlace, 'kind' | 'name' | 'cluster'>, string]>([
    [{ kind: 'ecs-service', name: 'payments-api', cluster: 'prod' }, 'ecs-service:prod/payments-api'],
    [{ kind: 'ecs-task', name: 'nightly-batch', cluster: 'jobs' }, 'ecs-task:jobs/nightly-batch'],
    [{ kind: 'lambda', name: 'resize-images' }, 'lambda:resize-images'],
    [{ kind: 'inspector', name: 'Amazon Inspector' }, 'inspector:Amazon Inspector'],
  ])('%j is %j', (place, key) => {
    expect(placeKey(place)).toBe(key);
  });

  test('the same service name in two clusters is two places', () => {
    expect(placeKey(service('api', 1, SEEN_TODAY, 'prod'))).not.toBe(placeKey(service('api', 1, SEEN_TODAY, 'staging')));
  });
});

describe('parseInUse: the ledger item\'s inUse attribute', () => {
  test('places as the document client returns them', () => {
    const value = {
      places: {
        'ecs-service:prod/payments-api': { kind: 'ecs-service', name: 'payments-api', cluster: 'prod', count: 4, seenAt: '2026-12-01T03:00:05.000Z' },
        'lambda:resize-images': { kind: 'lambda', name: 'resize-images', seenAt: '2026-12-01T03:01:00.000Z' },
        'ecs-task:jobs/nightly': { kind: 'ecs-task', name: 'nightly', cluster: 'jobs', count: 0, seenAt: '2026-12-01T03:02:00Z' },
      },
    };
    expect(parseInUse(value)).toEqual([
      { kind: 'ecs-service', name: 'payments-api', cluster: 'prod', count: 4, seenAt: new Date('2026-12-01T03:00:05.000Z') },
      { kind: 'lambda', name: 'resize-images', seenAt: new Date('2026-12-01T03:01:00.000Z') },
      { kind: 'ecs-task', name: 'nightly', cluster: 'jobs', count: 0, seenAt: new Date('2026-12-01T03:02:00.000Z') },
    ]);
  });

  test.each<[string, unknown]>([
    ['an unknown kind', { kind: 'eks-pod', name: 'api', seenAt: '2026-12-01T03:00:00Z' }],
    ['no kind', { name: 'api', seenAt: '2026-12-01T03:00:00Z' }],
    ['an empty name', { kind: 'lambda', name: '', seenAt: '2026-12-01T03:00:00Z' }],
    ['a name that is not a string', { kind: 'lambda', name: 42, seenAt: '2026-12-01T03:00:00Z' }],
    ['no seenAt', { kind: 'lambda', name: 'fn' }],
    ['a seenAt without a time', { kind: 'lambda', name: 'fn', seenAt: '2026-12-01' }],
    ['a seenAt that is not a date', { kind: 'lambda', name: 'fn', seenAt: 'yesterday' }],
    ['a seenAt that is an impossible time', { kind: 'lambda', name: 'fn', seenAt: '2026-13-01T00:00:00Z' }],
    ['a seenAt as epoch milliseconds', { kind: 'lambda', name: 'fn', seenAt: 1764558000000 }],
    ['a string', 'lambda:fn'],
    ['null', null],
    ['a list', [{ kind: 'lambda', name: 'fn', seenAt: '2026-12-01T03:00:00Z' }]],
  ])('a place with %s is left out, the others kept', (_label, bad) => {
    const value = { places: { bad, good: { kind: 'lambda', name: 'good', seenAt: '2026-12-01T03:00:00.000Z' } } };
    expect(parseInUse(value)).toEqual([{ kind: 'lambda', name: 'good', seenAt: new Date('2026-12-01T03:00:00.000Z') }]);
  });

  test.each<[string, Record<string, unknown>]>([
    ['an empty cluster', { cluster: '' }],
    ['a cluster that is not a string', { cluster: 7 }],
    ['a negative count', { count: -1 }],
    ['a fractional count', { count: 1.5 }],
    ['a count as a string', { count: '4' }],
  ])('%s is dropped, the place kept', (_label, field) => {
    const value = { places: { p: { kind: 'ecs-service', name: 'api', seenAt: '2026-12-01T03:00:00.000Z', ...field } } };
    expect(parseInUse(value)).toEqual([{ kind: 'ecs-service', name: 'api', seenAt: new Date('2026-12-01T03:00:00.000Z') }]);
  });

  test.each<[string, unknown]>([
    ['undefined (the digest was never seen)', undefined],
    ['null', null],
    ['a string', 'running'],
    ['a list', []],
    ['an object without places', { seen: 1 }],
    ['places as a list', { places: [{ kind: 'lambda', name: 'fn', seenAt: '2026-12-01T03:00:00Z' }] }],
    ['an empty map', { places: {} }],
  ])('%s: no places', (_label, value) => {
    expect(parseInUse(value)).toEqual([]);
  });
});

describe('storedInUse: what the ledger keeps', () => {
  const places: InUsePlace[] = [service('payments-api', 4), lambdaFn('resize-images'), { kind: 'ecs-task', name: 'nightly', cluster: 'jobs', count: 0, seenAt: SEEN_YESTERDAY }];

  test('a map by place key, dates as ISO-8601, no empty cluster or count', () => {
    expect(storedInUse(places)).toEqual({
      places: {
        'ecs-service:prod/payments-api': { kind: 'ecs-service', name: 'payments-api', cluster: 'prod', count: 4, seenAt: '2026-12-01T03:00:05.000Z' },
        'lambda:resize-images': { kind: 'lambda', name: 'resize-images', seenAt: '2026-12-01T03:00:05.000Z' },
        'ecs-task:jobs/nightly': { kind: 'ecs-task', name: 'nightly', cluster: 'jobs', count: 0, seenAt: '2026-11-30T03:00:05.000Z' },
      },
    });
  });

  test('reads back as written', () => {
    expect(parseInUse(storedInUse(places))).toEqual(places);
  });
});

describe('parseDiscoveryMarker', () => {
  test('a completed discovery', () => {
    expect(parseDiscoveryMarker({ startedAt: '2026-12-01T03:00:00.000Z', completedAt: '2026-12-01T03:10:00.000Z', kind: 'discovery' })).toEqual(MARKER);
  });

  test('a discovery that completed as it started', () => {
    expect(parseDiscoveryMarker({ startedAt: '2026-12-01T03:00:00Z', completedAt: '2026-12-01T03:00:00Z' })).toEqual({ startedAt: MARKER.startedAt, completedAt: MARKER.startedAt });
  });

  test.each<[string, unknown]>([
    ['no item', undefined],
    ['null', null],
    ['no startedAt', { completedAt: '2026-12-01T03:10:00Z' }],
    ['no completedAt', { startedAt: '2026-12-01T03:00:00Z' }],
    ['completed before it started', { startedAt: '2026-12-01T03:10:00Z', completedAt: '2026-12-01T03:00:00Z' }],
    ['dates without a time', { startedAt: '2026-12-01', completedAt: '2026-12-02' }],
    ['a completedAt that is not a date', { startedAt: '2026-12-01T03:00:00Z', completedAt: 'soon' }],
  ])('%s: none', (_label, item) => {
    expect(parseDiscoveryMarker(item)).toBeUndefined();
  });
});

describe('mergePlaces', () => {
  const later = new Date('2026-12-01T03:05:00.000Z');

  test('places stored before the last completed discovery started are dropped; those seen since are kept; those seen now added', () => {
    const stored = [service('old-api', 2, SEEN_YESTERDAY), service('api', 3, SEEN_TODAY)];
    const seen = [lambdaFn('resize', later)];
    expect(mergePlaces(stored, seen, MARKER)).toEqual([lambdaFn('resize', later), service('api', 3, SEEN_TODAY)]);
  });

  test('a stored place seen again at its start time is kept (at or after counts)', () => {
    const atStart = service('api', 1, MARKER.startedAt);
    expect(mergePlaces([atStart], [], MARKER)).toEqual([atStart]);
  });

  test('a place seen again replaces the stored one: the later count wins', () => {
    expect(mergePlaces([service('api', 3, SEEN_TODAY)], [service('api', 5, later)], MARKER)).toEqual([service('api', 5, later)]);
  });

  test('seen at the same time as stored (two invocations of one discovery): the new one wins', () => {
    expect(mergePlaces([service('api', 3, later)], [service('api', 4, later)], MARKER)).toEqual([service('api', 4, later)]);
  });

  test('a stored place seen more recently than the one given is kept', () => {
    expect(mergePlaces([service('api', 3, later)], [service('api', 9, SEEN_TODAY)], MARKER)).toEqual([service('api', 3, later)]);
  });

  test('without a completed discovery, every stored place is kept', () => {
    const stored = [service('old-api', 2, new Date('2026-01-01T00:00:00Z')), service('api', 3, SEEN_TODAY)];
    expect(mergePlaces(stored, [], undefined)).toEqual([service('api', 3, SEEN_TODAY), service('old-api', 2, new Date('2026-01-01T00:00:00Z'))]);
  });

  test('most recently seen first, then by key', () => {
    const places = [lambdaFn('b', SEEN_TODAY), lambdaFn('a', SEEN_TODAY), service('z', 1, later)];
    expect(mergePlaces([], places, MARKER).map(placeKey)).toEqual(['ecs-service:prod/z', 'lambda:a', 'lambda:b']);
  });

  test(`at most ${MAX_PLACES_KEPT} places, the most recently seen`, () => {
    expect(MAX_PLACES_KEPT).toBe(50);
    const stored = Array.from({ length: 30 }, (_, i) => lambdaFn(`stored-${String(i).padStart(2, '0')}`, SEEN_TODAY));
    const seen = Array.from({ length: 30 }, (_, i) => lambdaFn(`seen-${String(i).padStart(2, '0')}`, later));
    const merged = mergePlaces(stored, seen, MARKER);
    expect(merged).toHaveLength(50);
    expect(merged.filter((p) => p.name.startsWith('seen-'))).toHaveLength(30);
    // Of the stored ones, the first 20 by key stay.
    expect(merged.slice(30).map((p) => p.name)).toEqual(Array.from({ length: 20 }, (_, i) => `stored-${String(i).padStart(2, '0')}`));
  });
});

function view(overrides: Partial<InUseInput> = {}): InUseView {
  return inUseView({ now: NOW, discoveryOn: true, holdMs: HOLD_MS, marker: MARKER, places: [], ...overrides });
}

test('a discovery that stopped completing: places seen by the last one, but longer ago than the hold, read as unknown, not running', () => {
  const lastWeek = new Date(NOW.getTime() - 7 * DAY_MS);
  const marker = { startedAt: lastWeek, completedAt: new Date(lastWeek.getTime() + 600_000) };
  expect(view({ marker, places: [service('payments-api', 4, new Date(lastWeek.getTime() + 5_000))] })).toEqual({
    status: 'unknown',
    places: [],
    unknownBecause: 'no-recent-discovery',
  });
  // Within the hold, the same place is current.
  const yesterday = new Date(NOW.getTime() - DAY_MS);
  expect(view({ marker: { startedAt: yesterday, completedAt: new Date(yesterday.getTime() + 600_000) }, places: [service('payments-api', 4, yesterday)] }).status).toBe('running');
});

describe('inUseView: the module comment\'s rules', () => {
  const inspectorPlace = (count: number, seenAt: Date = NOW): InUsePlace => ({ kind: 'inspector', name: 'Amazon Inspector', count, seenAt });

  interface Row {
    readonly situation: string;
    readonly input: Partial<InUseInput>;
    readonly expected: InUseView;
  }
  const TABLE: Row[] = [
    {
      situation: 'running: a place seen by the last completed discovery',
      input: { places: [service('payments-api', 4)] },
      expected: { status: 'running', places: [service('payments-api', 4)] },
    },
    {
      situation: 'running: a place seen by the discovery under way (after the last completed one started)',
      input: { places: [lambdaFn('resize', new Date('2026-12-01T03:20:00Z'))] },
      expected: { status: 'running', places: [lambdaFn('resize', new Date('2026-12-01T03:20:00Z'))] },
    },
    {
      situation: 'running: no discovery ever completed, but the first one under way saw it',
      input: { marker: undefined, places: [lambdaFn('resize', SEEN_YESTERDAY)] },
      expected: { status: 'running', places: [lambdaFn('resize', SEEN_YESTERDAY)] },
    },
    {
      situation: 'not-running: only places older than the last completed discovery, which is recent',
      input: { places: [service('payments-api', 4, SEEN_YESTERDAY)] },
      expected: { status: 'not-running', places: [] },
    },
    {
      situation: 'not-running: no place, the last discovery completed within the hold',
      input: { now: new Date(MARKER.completedAt.getTime() + HOLD_MS - 1) },
      expected: { status: 'not-running', places: [] },
    },
    {
      situation: 'not-running: no place, the last discovery completed exactly a hold ago',
      input: { now: new Date(MARKER.completedAt.getTime() + HOLD_MS) },
      expected: { status: 'not-running', places: [] },
    },
    {
      situation: 'unknown: no place, the last discovery completed longer than the hold ago',
      input: { now: new Date(MARKER.completedAt.getTime() + HOLD_MS + 1) },
      expected: { status: 'unknown', places: [], unknownBecause: 'no-recent-discovery' },
    },
    {
      situation: 'unknown: no place and no discovery ever completed',
      input: { marker: undefined },
      expected: { status: 'unknown', places: [], unknownBecause: 'no-recent-discovery' },
    },
    {
      situation: 'unknown: the discovery is off, whatever the ledger holds',
      input: { discoveryOn: false, places: [service('payments-api', 4)] },
      expected: { status: 'unknown', places: [], unknownBecause: 'discovery-off' },
    },
    {
      situation: 'unknown: the ledger could not be read',
      input: { places: undefined },
      expected: { status: 'unknown', places: [], unknownBecause: 'ledger-unreadable' },
    },
    {
      situation: 'running: Amazon Inspector counts it in use, the discovery off',
      input: { discoveryOn: false, inspector: { inUseCount: 2, lastInUseAt: SEEN_YESTERDAY } },
      expected: { status: 'running', places: [inspectorPlace(2, SEEN_YESTERDAY)] },
    },
    {
      situation: 'running: Amazon Inspector counts it in use, the ledger unreadable',
      input: { places: undefined, inspector: { inUseCount: 1 } },
      expected: { status: 'running', places: [inspectorPlace(1)] },
    },
    {
      situation: 'running: Amazon Inspector counts it in use, the discovery saw it nowhere',
      input: { places: [], inspector: { inUseCount: 3 } },
      expected: { status: 'running', places: [inspectorPlace(3)] },
    },
    {
      situation: 'Amazon Inspector\'s count of 0 is not in use',
      input: { places: [], inspector: { inUseCount: 0, lastInUseAt: SEEN_YESTERDAY } },
      expected: { status: 'not-running', places: [] },
    },
    {
      situation: 'Amazon Inspector without a count is not in use',
      input: { discoveryOn: false, inspector: { lastInUseAt: SEEN_YESTERDAY } },
      expected: { status: 'unknown', places: [], unknownBecause: 'discovery-off' },
    },
  ];

  test.each(TABLE.map((row) => [row.situation, row] as const))('%s', (_situation, row) => {
    expect(view(row.input)).toEqual(row.expected);
  });

  test('places current now, most tasks first, then by key; older places left out', () => {
    const places = [lambdaFn('resize'), service('small', 1), service('big', 6), service('gone', 9, SEEN_YESTERDAY), service('also-big', 6)];
    expect(view({ places, inspector: { inUseCount: 2 } }).places.map(placeKey)).toEqual([
      'ecs-service:prod/also-big',
      'ecs-service:prod/big',
      'inspector:Amazon Inspector',
      'ecs-service:prod/small',
      'lambda:resize',
    ]);
  });

  test('the stored list is not reordered in place', () => {
    const places = [lambdaFn('resize'), service('big', 6)];
    view({ places });
    expect(places.map(placeKey)).toEqual(['lambda:resize', 'ecs-service:prod/big']);
  });
});

describe('inUseSummary: the report\'s sentence', () => {
  const pulls = (lastPulledAt?: Date, pushedAt?: Date) => ({
    now: NOW,
    ...(lastPulledAt ? { lastPulledAt } : {}),
    ...(pushedAt ? { pushedAt } : {}),
  });
  const running = (places: InUsePlace[]): InUseView => ({ status: 'running', places });
  const NOT_RUNNING: InUseView = { status: 'not-running', places: [] };
  const PULLED = new Date('2026-11-30T12:00:00Z');
  const PUSHED = new Date('2026-10-01T09:00:00Z');

  test.each<[string, InUseView, ReturnType<typeof pulls>, string]>([
    [
      'running in a service and a function, pulled yesterday',
      running([service('payments-api', 4), lambdaFn('resize-images')]),
      pulls(PULLED),
      'Running in: ECS service payments-api (cluster prod, 4 tasks), Lambda resize-images. Last pulled 2026-11-30.',
    ],
    ['one task', running([service('api', 1)]), pulls(), 'Running in: ECS service api (cluster prod, 1 task).'],
    ['a service scaled to 0', running([service('api', 0)]), pulls(), 'Running in: ECS service api (cluster prod, 0 tasks).'],
    [
      'tasks outside a service',
      running([{ kind: 'ecs-task', name: 'nightly', cluster: 'jobs', count: 2, seenAt: SEEN_TODAY }]),
      pulls(),
      'Running in: ECS tasks of nightly (cluster jobs, 2 tasks).',
    ],
    ['a place without cluster or count', running([{ kind: 'ecs-service', name: 'api', seenAt: SEEN_TODAY }]), pulls(), 'Running in: ECS service api (cluster ?, 0 tasks).'],
    [
      'Amazon Inspector\'s count',
      running([{ kind: 'inspector', name: 'Amazon Inspector', count: 3, seenAt: NOW }]),
      pulls(undefined, PUSHED),
      'Running in: Amazon Inspector counts it in use (3). Never pulled, pushed 2026-10-01.',
    ],
    ['Amazon Inspector without a count', running([{ kind: 'inspector', name: 'Amazon Inspector', seenAt: NOW }]), pulls(), 'Running in: Amazon Inspector counts it in use.'],
    ['not running, not pulled for 94 days', NOT_RUNNING, pulls(new Date('2026-08-29T03:30:00Z')), 'Not running, not pulled for 94 days (last pulled 2026-08-29).'],
    ['not running, pulled a day ago', NOT_RUNNING, pulls(new Date(NOW.getTime() - DAY_MS)), 'Not running, not pulled for 1 day (last pulled 2026-11-30).'],
    ['not running, pulled an hour ago', NOT_RUNNING, pulls(new Date(NOW.getTime() - HOUR_MS)), 'Not running; last pulled 2026-12-01.'],
    ['not running, never pulled', NOT_RUNNING, pulls(undefined, PUSHED), 'Not running, never pulled, pushed 2026-10-01.'],
    ['not running, neither pull nor push known', NOT_RUNNING, pulls(), 'Not running.'],
    [
      'unknown: no recent discovery',
      { status: 'unknown', places: [], unknownBecause: 'no-recent-discovery' },
      pulls(undefined, PUSHED),
      'Unknown (no in-use discovery in the last 49 hours). Never pulled, pushed 2026-10-01.',
    ],
    ['unknown: the discovery is off', { status: 'unknown', places: [], unknownBecause: 'discovery-off' }, pulls(PULLED), 'Unknown (the in-use discovery is off). Last pulled 2026-11-30.'],
    ['unknown: the ledger unreadable', { status: 'unknown', places: [], unknownBecause: 'ledger-unreadable' }, pulls(), 'Unknown (the ledger could not be read).'],
  ])('%s', (_label, v, p, expected) => {
    expect(inUseSummary(v, p, 49)).toBe(expected);
  });

  test(`at most ${MAX_PLACES_LISTED} places are named, the rest counted`, () => {
    expect(MAX_PLACES_LISTED).toBe(20);
    const places = Array.from({ length: 23 }, (_, i) => lambdaFn(`fn-${i + 1}`));
    const text = inUseSummary(running(places), pulls(), 49);
    expect(text).toBe(`Running in: ${Array.from({ length: 20 }, (_, i) => `Lambda fn-${i + 1}`).join(', ')} and 3 more.`);
  });

  test('the hold in the unknown sentence is the one given', () => {
    expect(inUseSummary({ status: 'unknown', places: [], unknownBecause: 'no-recent-discovery' }, pulls(), 337)).toBe('Unknown (no in-use discovery in the last 337 hours).');
  });
});
