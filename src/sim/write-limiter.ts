/**
 * Bounds the simulator's writes in flight (thousands of nodes must not open thousands of
 * requests at once). Two lanes: `high` (Leases and node status, whose lateness makes nodes look
 * dead) is always served before `normal` (registration, pod status).
 */
export type WritePriority = 'high' | 'normal';

export class WriteLimiter {
  private inFlight = 0;
  private readonly waiting: Record<WritePriority, (() => void)[]> = { high: [], normal: [] };
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`write concurrency must be at least 1, not ${limit}`);
  }

  /** Runs `fn` once a slot is free; resolves or rejects as `fn` does. */
  async run<T>(fn: () => Promise<T>, priority: WritePriority = 'normal'): Promise<T> {
    if (this.inFlight >= this.limit) await new Promise<void>((r) => this.waiting[priority].push(r));
    else this.inFlight++;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Writes running plus waiting. */
  pending(): number {
    return this.inFlight + this.waiting.high.length + this.waiting.normal.length;
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private release(): void {
    // The slot passes straight to the next waiter, so inFlight stays the same.
    const next = this.waiting.high.shift() ?? this.waiting.normal.shift();
    if (next) {
      next();
      return;
    }
    this.inFlight--;
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
