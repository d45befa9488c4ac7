/**
 * Usage points and the CPU rate computed from the last two of them, as the kubelet's stats
 * provider computes `usageNanoCores` and metrics-server computes its usage (sigs.k8s.io/
 * metrics-server pkg/storage: two points of a cumulative counter, the newer one's timestamp; a
 * container with one point yet may count from its start, when its counter was zero).
 */

export interface UsagePoint {
  /** When the point was read (ms since the epoch). */
  timestampMs: number;
  /** Cumulative CPU time in nanoseconds. */
  cpuNs: number;
  workingSetBytes: number;
  usageBytes: number;
  rssBytes: number;
}

export interface CpuRate {
  nanoCores: number;
  /** The span the rate was taken over. */
  windowMs: number;
}

/** The last two points of one series (a node or one container instance). */
export class UsageSeries {
  private prev?: UsagePoint;
  private last?: UsagePoint;

  /** Adds a newer point; older or equal timestamps are ignored. */
  push(p: UsagePoint): void {
    if (this.last && p.timestampMs <= this.last.timestampMs) return;
    this.prev = this.last;
    this.last = p;
  }

  latest(): UsagePoint | undefined {
    return this.last;
  }

  previous(): UsagePoint | undefined {
    return this.prev;
  }

  /** See cpuRate. */
  rate(startedAtMs?: number, minWindowMs?: number): CpuRate | undefined {
    return this.last ? cpuRate(this.prev, this.last, startedAtMs, minWindowMs) : undefined;
  }
}

/**
 * CPU usage between two points in nanocores. Without an earlier point, a container that started
 * at `startedAtMs` (its counter then zero) at least `minWindowMs` before `last` counts from its
 * start. Undefined when there is no span to measure or the counter went backwards.
 */
export function cpuRate(prev: UsagePoint | undefined, last: UsagePoint, startedAtMs?: number, minWindowMs = 1000): CpuRate | undefined {
  let from: { timestampMs: number; cpuNs: number } | undefined = prev;
  if (!from && startedAtMs !== undefined && startedAtMs > 0 && last.timestampMs - startedAtMs >= minWindowMs) from = { timestampMs: startedAtMs, cpuNs: 0 };
  if (!from) return undefined;
  const windowMs = last.timestampMs - from.timestampMs;
  const used = last.cpuNs - from.cpuNs;
  if (windowMs <= 0 || used < 0) return undefined;
  return { nanoCores: Math.round((used * 1000) / windowMs), windowMs };
}
