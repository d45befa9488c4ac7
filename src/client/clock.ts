/**
 * Injectable time for clients, informers and workqueues (STYLE.md principle 8): production code
 * uses `realClock`; tests drive a `FakeClock` and never sleep.
 */

export interface TimerHandle {
  cancel(): void;
}

/** Wall-clock milliseconds and one-shot timers. */
export interface Clock {
  now(): number;
  /** Runs `fn` once after `ms`; the returned handle cancels it. Real timers are unref'd only by the caller's choice. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Resolves after `ms` on `clock`, or at once when `signal` aborts (it never rejects): loops that
 * back off check the signal themselves after waking.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A manual clock for tests: time moves only through `step`/`set`, which fire the timers that fall due, in order. */
export class FakeClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const t = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== t)) };
  }

  /** The number of timers not yet fired. */
  pending(): number {
    return this.timers.length;
  }

  /** Advances time by `ms`, firing due timers in time order (timers they add fire too when due). */
  step(ms: number): void {
    this.set(this.current + ms);
  }

  set(target: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = Math.max(this.current, target);
  }
}
