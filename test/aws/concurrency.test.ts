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

describe('mapWithConcurrency with shouldStop', () => {
  test('once shouldStop is true no new item starts; the items in flight complete; the result is the prefix started', async () => {
    const c = controlledWorker(8);
    let stop = false;
    const result = mapWithConcurrency(items(8), 3, c.worker, () => stop);
    await settle();
    expect(c.started).toEqual([0, 1, 2]);

    c.calls[0].resolve('r0');
    await settle();
    expect(c.started).toEqual([0, 1, 2, 3]);

    stop = true;
    // Item 2 finishes first: no gap may appear, so nothing after 3 starts, and 1 and 3 still complete.
    c.calls[2].resolve('r2');
    await settle();
    expect(c.started).toEqual([0, 1, 2, 3]);
    expect(c.inFlight()).toBe(2);
    c.calls[3].resolve('r3');
    c.calls[1].resolve('r1');

    // Strict: a sparse array of 8 with holes after r3 is not a prefix.
    await expect(result).resolves.toStrictEqual(['r0', 'r1', 'r2', 'r3']);
    expect(c.started).toEqual([0, 1, 2, 3]);
    expect(c.inFlight()).toBe(0);
  });

  test.each([1, 2, 5])('limit %i: the results are always a prefix of the items, with no gap', async (limit) => {
    // Stops after the third completion, whichever lanes complete in whatever order.
    let completed = 0;
    const worker = async (item: number) => {
      await settle();
      completed++;
      return item * 2;
    };
    const result = await mapWithConcurrency(items(20), limit, worker, () => completed >= 3);
    expect(result.length).toBeGreaterThanOrEqual(3);
    expect(result.length).toBeLessThan(20);
    expect(result).toEqual(items(result.length).map((i) => i * 2));
    expect(result).not.toContain(undefined);
  });

  test('a shouldStop true from the start still processes the first item, and only it', async () => {
    const worker = jest.fn(async (item: number) => item + 1);
    const shouldStop = jest.fn(() => true);
    await expect(mapWithConcurrency([10, 20, 30], 3, worker, shouldStop)).resolves.toStrictEqual([11]);
    expect(worker).toHaveBeenCalledTimes(1);
    expect(worker).toHaveBeenCalledWith(10, 0);
  });

  test('shouldStop is not consulted before the first item', async () => {
    const order: string[] = [];
    const worker = async (item: number) => {
      order.push(`work ${item}`);
      return item;
    };
    await mapWithConcurrency([1, 2], 1, worker, () => {
      order.push('check');
      return false;
    });
    expect(order).toEqual(['work 1', 'check', 'work 2']);
  });

  test('a shouldStop that stays false processes every item', async () => {
    const shouldStop = jest.fn(() => false);
    await expect(mapWithConcurrency(items(6), 2, async (item) => item + 1, shouldStop)).resolves.toEqual([1, 11, 21, 31, 41, 51]);
    // Checked before each start after the first, and not once the items are used up.
    expect(shouldStop).toHaveBeenCalledTimes(5);
  });

  test('without shouldStop every item is processed, even when the worker takes time', async () => {
    // The 4-argument form only: the 3-argument form has no stop, so nothing can cut it short.
    const worker = jest.fn(async (item: number) => {
      await settle();
      return item;
    });
    await expect(mapWithConcurrency(items(7), 3, worker)).resolves.toEqual(items(7));
    expect(worker).toHaveBeenCalledTimes(7);
  });

  test('a single item never consults shouldStop', async () => {
    const shouldStop = jest.fn(() => true);
    const c = controlledWorker(1);
    const result = mapWithConcurrency(items(1), 4, c.worker, shouldStop);
    await settle();
    c.calls[0].resolve('r0');
    await expect(result).resolves.toEqual(['r0']);
    expect(shouldStop).not.toHaveBeenCalled();
  });

  test('the limit is still respected with shouldStop', async () => {
    const c = controlledWorker(6);
    const result = mapWithConcurrency(items(6), 2, c.worker, () => false);
    await settle();
    expect(c.started).toEqual([0, 1]);
    for (let i = 0; i < 6; i++) {
      c.calls[i].resolve(`r${i}`);
      await settle();
      expect(c.inFlight()).toBeLessThanOrEqual(2);
    }
    await expect(result).resolves.toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(c.maxInFlight()).toBe(2);
  });

  test('an error after shouldStop turned true still rejects, after the calls in flight settle', async () => {
    const c = controlledWorker(4);
    let stop = false;
    const result = mapWithConcurrency(items(4), 2, c.worker, () => stop);
    result.catch(() => undefined);
    await settle();
    stop = true;
    const boom = new Error('boom');
    c.calls[0].reject(boom);
    await settle();
    expect(c.started).toEqual([0, 1]);
    c.calls[1].resolve('r1');
    await expect(result).rejects.toBe(boom);
  });
});
