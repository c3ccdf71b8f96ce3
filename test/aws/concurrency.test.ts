import { Deferred, deferred, settle } from './helpers';
import { mapWithConcurrency } from '../../src/aws/concurrency';

/** A worker whose calls stay in flight until the test settles them, counting what runs at once. */
function controlledWorker(count: number) {
  const calls: Deferred<string>[] = Array.from({ length: count }, () => deferred<string>());
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const worker = async (item: number, index: number): Promise<string> => {
    expect(item).toBe(index * 10);
    started.push(index);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await calls[index].promise;
    } finally {
      inFlight--;
    }
  };
  return {
    calls,
    started,
    worker,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
  };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => i * 10);

describe('mapWithConcurrency', () => {
  test('returns the results in input order, whatever order the calls finish in', async () => {
    const c = controlledWorker(5);
    const result = mapWithConcurrency(items(5), 5, c.worker);
    await settle();
    for (const i of [4, 2, 0, 3, 1]) {
      c.calls[i].resolve(`r${i}`);
      await settle();
    }
    await expect(result).resolves.toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  test('never has more than `limit` calls in flight, and keeps `limit` busy', async () => {
    const c = controlledWorker(7);
    const result = mapWithConcurrency(items(7), 3, c.worker);
    await settle();
    expect(c.started).toEqual([0, 1, 2]);
    expect(c.inFlight()).toBe(3);

    c.calls[1].resolve('r1');
    await settle();
    expect(c.started).toEqual([0, 1, 2, 3]);
    expect(c.inFlight()).toBe(3);

    c.calls[0].resolve('r0');
    c.calls[2].resolve('r2');
    await settle();
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(c.inFlight()).toBe(3);

    for (const i of [3, 4, 5, 6]) {
      c.calls[i].resolve(`r${i}`);
      await settle();
    }
    await expect(result).resolves.toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(c.maxInFlight()).toBe(3);
    expect(c.inFlight()).toBe(0);
  });

  test('a limit of 1 runs the calls one after the other', async () => {
    const c = controlledWorker(3);
    const result = mapWithConcurrency(items(3), 1, c.worker);
    for (let i = 0; i < 3; i++) {
      await settle();
      expect(c.started).toHaveLength(i + 1);
      c.calls[i].resolve(`r${i}`);
    }
    await expect(result).resolves.toEqual(['r0', 'r1', 'r2']);
    expect(c.maxInFlight()).toBe(1);
  });

  test('a limit above the item count starts every item once', async () => {
    const worker = jest.fn(async (item: number) => item + 1);
    await expect(mapWithConcurrency([1, 2], 50, worker)).resolves.toEqual([2, 3]);
    expect(worker).toHaveBeenCalledTimes(2);
  });

  test('no items: no call, empty result', async () => {
    const worker = jest.fn(async (item: number) => item);
    await expect(mapWithConcurrency([], 3, worker)).resolves.toEqual([]);
    expect(worker).not.toHaveBeenCalled();
  });

  test('the first error rejects only after the calls in flight have settled, and starts nothing new', async () => {
    const c = controlledWorker(6);
    let outcome: 'pending' | 'resolved' | 'rejected' = 'pending';
    let reason: unknown;
    const result = mapWithConcurrency(items(6), 2, c.worker).then(
      () => (outcome = 'resolved'),
      (e) => {
        outcome = 'rejected';
        reason = e;
      },
    );
    await settle();
    expect(c.started).toEqual([0, 1]);

    const boom = new Error('ThrottlingException: Rate exceeded');
    c.calls[0].reject(boom);
    await settle();
    // Call 1 is still in flight: the whole call must wait for it, and start nothing else.
    expect(outcome).toBe('pending');
    expect(c.started).toEqual([0, 1]);
    expect(c.inFlight()).toBe(1);

    c.calls[1].resolve('r1');
    await result;
    expect(outcome).toBe('rejected');
    expect(reason).toBe(boom);
    expect(c.started).toEqual([0, 1]);
    expect(c.inFlight()).toBe(0);
  });

  test('with several errors, the first one is thrown', async () => {
    const c = controlledWorker(3);
    const result = mapWithConcurrency(items(3), 3, c.worker);
    result.catch(() => undefined);
    await settle();
    const first = new Error('first');
    c.calls[2].reject(first);
    await settle();
    c.calls[0].reject(new Error('second'));
    c.calls[1].resolve('r1');
    await expect(result).rejects.toBe(first);
  });

  test('a synchronous throw inside an async worker rejects the same way', async () => {
    const error = new Error('bad item');
    await expect(
      mapWithConcurrency([1, 2, 3], 2, async (item) => {
        if (item === 2) throw error;
        return item;
      }),
    ).rejects.toBe(error);
  });

  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('limit %p is refused before any call', async (limit) => {
    const worker = jest.fn(async (item: number) => item);
    await expect(mapWithConcurrency([1, 2], limit, worker)).rejects.toThrow(/concurrency limit must be a positive integer/);
    expect(worker).not.toHaveBeenCalled();
  });
});
