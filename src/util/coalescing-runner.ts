/**
 * Runs an idempotent async job ("make the world match the latest wanted state") at most once at a
 * time: a kick while the job runs makes it run once more when it ends, so a burst of kicks
 * collapses into one extra run. The job asks for a delayed run with `retryLater()` when it could
 * not finish (one timer at a time). `close()` stops further runs and waits for the current one.
 * The job reports its own failures: it must not reject.
 */
export interface CoalescingRunnerOptions {
  /** Delay of the run that `retryLater()` asks for. */
  retryMs: number;
}

export class CoalescingRunner {
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly opts: CoalescingRunnerOptions,
  ) {}

  /** Runs the job now, or once more after the current run; nothing once closed. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** Asks for a run after `retryMs`, unless one is already scheduled or the runner is closed. */
  retryLater(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.opts.retryMs);
    this.timer.unref();
  }

  /** Whether a retry is scheduled. */
  retryPending(): boolean {
    return this.timer !== undefined;
  }

  /** Resolves once no run is in progress or asked for (a scheduled retry does not count). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No further runs; the scheduled retry is cancelled; resolves when the current run ends. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.settled();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.job();
    } while (this.again && !this.closed);
  }
}
