import { captureStream } from './helpers';
import { PROGRESS_INTERVAL_MS, Progress } from '../../src/cli/progress';

function clockAt(start = 0) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('Progress', () => {
  test('not a terminal: nothing before the interval, then one plain line per interval; the text is built only when printed', () => {
    const stderr = captureStream([], 'err');
    const clock = clockAt(1_000);
    const progress = new Progress(stderr, clock.read, 5_000);
    const text = jest.fn(() => 'repository 1/3');

    clock.now = 5_999;
    progress.update(text);
    expect(stderr.chunks).toEqual([]);
    expect(text).not.toHaveBeenCalled();

    clock.now = 6_000;
    progress.update(text);
    clock.now = 10_999;
    progress.update(text);
    clock.now = 11_000;
    progress.update(() => 'repository 2/3');
    progress.clear();
    expect(stderr.chunks).toEqual(['repository 1/3\n', 'repository 2/3\n']);
    expect(text).toHaveBeenCalledTimes(1);
  });

  test('a terminal: the line is rewritten in place and erased by clear, once', () => {
    const stderr = captureStream([], 'err', true);
    const clock = clockAt();
    const progress = new Progress(stderr, clock.read, 100);
    progress.clear();
    clock.now = 100;
    progress.update(() => 'one');
    clock.now = 200;
    progress.update(() => 'two');
    progress.clear();
    progress.clear();
    expect(stderr.chunks).toEqual(['\r\x1b[Kone', '\r\x1b[Ktwo', '\r\x1b[K']);
  });

  test('the default interval: 2 s on a terminal, 10 s otherwise', () => {
    expect(PROGRESS_INTERVAL_MS).toEqual({ tty: 2_000, plain: 10_000 });
    for (const [tty, interval] of [[true, 2_000], [false, 10_000]] as const) {
      const stderr = captureStream([], 'err', tty);
      const clock = clockAt();
      const progress = new Progress(stderr, clock.read);
      clock.now = interval - 1;
      progress.update(() => 'early');
      clock.now = interval;
      progress.update(() => 'due');
      expect(stderr.text()).not.toContain('early');
      expect(stderr.text()).toContain('due');
    }
  });
});
