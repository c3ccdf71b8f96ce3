/**
 * The progress line of long runs, on stderr only (stdout carries the table or
 * the JSON document). Driven by the walk, not by a timer: each call to
 * {@link Progress.update} prints only when `intervalMs` has passed on the
 * injected clock since the start or the last line, so short runs print nothing
 * and tests are deterministic.
 *
 * On a terminal the line is rewritten in place and erased before anything else
 * is written (stdout rows and stderr logs often share that terminal); elsewhere
 * (a pipe, a CI log) each update is a plain line of its own, less often.
 */

/** The part of a writable stream the command-line tool uses; process.stdout and process.stderr fit. */
export interface Output {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

/** Terminal: rewrite every 2 seconds. Pipe or file: a new line at most every 10 seconds. */
export const PROGRESS_INTERVAL_MS = { tty: 2_000, plain: 10_000 } as const;

const ERASE_LINE = '\r\x1b[K';

export class Progress {
  private last: number;
  private showing = false;

  constructor(
    private readonly stderr: Output,
    private readonly clock: () => number,
    private readonly intervalMs: number = stderr.isTTY ? PROGRESS_INTERVAL_MS.tty : PROGRESS_INTERVAL_MS.plain,
  ) {
    this.last = clock();
  }

  /** Prints `text()` if the interval has passed; `text` is only called then. */
  public update(text: () => string): void {
    const now = this.clock();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    if (this.stderr.isTTY) {
      this.stderr.write(`${ERASE_LINE}${text()}`);
      this.showing = true;
    } else {
      this.stderr.write(`${text()}\n`);
    }
  }

  /** Erases the line on a terminal, so the next output starts on a clean line. */
  public clear(): void {
    if (!this.showing) return;
    this.stderr.write(ERASE_LINE);
    this.showing = false;
  }
}
