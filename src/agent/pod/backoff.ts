/**
 * The crash-loop back-off between restarts of a failed container, as the kubelet keeps it
 * (client-go util/flowcontrol/backoff.go, used by kuberuntime_manager.go doBackOff): one entry
 * per container, starting at 10 s and doubling up to 5 min. An entry starts over once the
 * container finishes more than twice the maximum (10 min) after the last restart, i.e. it ran
 * long enough to be considered healthy; gc drops entries untouched for as long.
 *
 * Time is passed in (Unix ms), never read from a clock here.
 */

export interface CrashLoopBackoffOptions {
  /** First delay (the kubelet's backOffPeriod): 10 s. */
  initialMs?: number;
  /** Cap (MaxContainerBackOff): 300 s. */
  maxMs?: number;
  /** Quiet time after which an entry starts over and gc forgets it: twice maxMs. */
  resetAfterMs?: number;
}

/** What the pod's status says about the container, and when to look again. */
export interface BackoffCheck {
  waiting: boolean;
  /** How long until a restart is allowed; 0 when not waiting. */
  remainingMs: number;
  /** The waiting message for the CrashLoopBackOff state; empty when not waiting. */
  message: string;
}

/** Names the container in messages: `<name>_<namespace>(<uid>)` as the kubelet's format.Pod. */
export interface BackoffTarget {
  container: string;
  pod: { name: string; namespace: string; uid: string };
}

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

/** The per-container key: `<podUID>_<container>`. */
export function crashLoopKey(podUID: string, container: string): string {
  return `${podUID}_${container}`;
}

/** A pod as the kubelet names it in messages (format.Pod). */
export function formatPodName(pod: { name: string; namespace: string; uid: string }): string {
  return `${pod.name}_${pod.namespace}(${pod.uid})`;
}

/** The container's waiting message while it backs off (doBackOff's error text). */
export function backoffMessage(delayMs: number, target: BackoffTarget): string {
  return `back-off ${formatGoDuration(delayMs)} restarting failed container=${target.container} pod=${formatPodName(target.pod)}`;
}

/** The message of the `BackOff` warning event recorded at the same time. */
export function backoffEventMessage(target: BackoffTarget): string {
  return `Back-off restarting failed container ${target.container} in pod ${formatPodName(target.pod)}`;
}

/** A duration the way Go's time.Duration prints it: `10s`, `1m20s`, `5m0s`, `1h0m0s`, `500ms`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trimNumber(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  let out = sign;
  if (hours) out += `${hours}h`;
  if (hours || minutes) out += `${minutes}m`;
  return `${out}${trimNumber(rest / 1000)}s`;
}

const trimNumber = (n: number): string => String(Number(n.toFixed(9)));

export class CrashLoopBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: CrashLoopBackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
    this.resetAfterMs = opts.resetAfterMs ?? 2 * this.maxMs;
  }

  /**
   * Whether a container that finished at `finishedAt` must still wait before it is restarted
   * (IsInBackOffSince). Without an entry, or when the container finished long after the last
   * restart, it may restart at once. `target` names the container in the message; without it the
   * key stands in for the pod.
   */
  inBackoff(key: string, finishedAt: number, now: number, target?: BackoffTarget): BackoffCheck {
    const entry = this.entries.get(key);
    if (!entry || this.expired(finishedAt, entry)) return { waiting: false, remainingMs: 0, message: '' };
    const elapsed = now - finishedAt;
    if (elapsed >= entry.backoffMs) return { waiting: false, remainingMs: 0, message: '' };
    const who = target ?? targetFromKey(key);
    return { waiting: true, remainingMs: entry.backoffMs - elapsed, message: backoffMessage(entry.backoffMs, who) };
  }

  /**
   * Records a restart at `now` and moves the delay to its next step (Next). `finishedAt` is when
   * the container last finished (the kubelet passes the exit time); an entry whose last restart
   * is more than resetAfterMs before it starts over at the initial delay.
   */
  next(key: string, now: number, finishedAt: number = now): void {
    const entry = this.entries.get(key);
    if (!entry || this.expired(finishedAt, entry)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: now });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxMs);
    entry.lastUpdate = now;
  }

  /** The current delay of the entry (0 without one). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Forgets the entry, e.g. when the container's spec changed. */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops entries untouched for longer than resetAfterMs (the kubelet runs this in housekeeping). */
  gc(now: number): void {
    for (const [key, entry] of this.entries) if (now - entry.lastUpdate > this.resetAfterMs) this.entries.delete(key);
  }

  /** How many entries are kept (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private expired(eventTime: number, entry: Entry): boolean {
    return eventTime - entry.lastUpdate > this.resetAfterMs;
  }
}

/** A best-effort target when the caller names none: `<uid>_<container>` keys carry no pod name. */
function targetFromKey(key: string): BackoffTarget {
  const i = key.indexOf('_');
  const uid = i < 0 ? key : key.slice(0, i);
  const container = i < 0 ? '' : key.slice(i + 1);
  return { container, pod: { name: '', namespace: '', uid } };
}
