/**
 * Desired replicas from pod resource metrics (`pkg/controller/podautoscaler/replica_calculator.go`
 * v1.32, resource metrics): pods are grouped into ready, unready, missing-metrics and ignored;
 * a ratio within the tolerance keeps the current count; missing and unready pods are assumed to
 * use whatever dampens the change (100 % / target when scaling down, 0 when scaling up), and a
 * recomputed ratio that flips direction or falls within tolerance keeps the current count.
 * Pure: every input, the clock included, is an argument.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/quantity.js';
import { podCondition } from '../pod-util.js';
import type { PodMetricsSample } from './metrics-source.js';

/** --horizontal-pod-autoscaler-tolerance. */
export const defaultTolerance = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period. */
export const cpuInitializationPeriodMs = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay. */
export const initialReadinessDelayMs = 30_000;

export type ResourceName = 'cpu' | 'memory';

/** One pod's usage of a resource in milli-units (upstream `PodMetric`). */
export interface PodMetric {
  value: number;
  timestamp: number;
  windowMs: number;
}

export interface CalculatorOptions {
  now: number;
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
}

export interface ReplicaProposal {
  replicas: number;
  /** Utilization in percent of requests (Utilization targets only). */
  utilization?: number;
  /** Average usage per pod in milli-units. */
  rawAverage: number;
  timestamp: number;
}

/**
 * Per-pod usage of `resource` in milli-units: the sum over containers (or the one named
 * `container`); a pod with a container lacking the resource is left out (metrics client `getPodMetrics`).
 */
export function podMetricsFor(samples: readonly PodMetricsSample[], resource: ResourceName, container?: string): Map<string, PodMetric> {
  const out = new Map<string, PodMetric>();
  for (const s of samples) {
    let sum = 0;
    let missing = false;
    let found = false;
    for (const c of s.containers) {
      if (container && c.name !== container) continue;
      const v = c.usage[resource];
      if (v === undefined) {
        missing = true;
        break;
      }
      found = true;
      sum += resource === 'memory' ? v * 1000 : v;
    }
    if (missing || (container && !found)) continue;
    out.set(s.pod, { value: sum, timestamp: s.timestamp, windowMs: s.windowMs });
  }
  return out;
}

export interface PodGroups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** upstream `groupPods`. */
export function groupPods(pods: readonly Pod[], metrics: ReadonlyMap<string, PodMetric>, resource: ResourceName, opts: CalculatorOptions): PodGroups {
  const g: PodGroups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  const initPeriod = opts.cpuInitializationPeriodMs ?? cpuInitializationPeriodMs;
  const readinessDelay = opts.initialReadinessDelayMs ?? initialReadinessDelayMs;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = podCondition(pod, 'Ready');
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
      let unready: boolean;
      if (!ready || start === undefined) {
        unready = true;
      } else {
        const transition = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
        if (start + initPeriod > opts.now) {
          // Within the initialization period: only samples taken wholly after the pod became ready count.
          unready = ready.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // Afterwards: unready only if it never became ready after its initial readiness delay.
          unready = ready.status === 'False' && start + readinessDelay > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Sum of the pods' requests of `resource` in milli-units (upstream `calculatePodRequests`); throws on a missing request. */
export function podRequests(pods: readonly Pod[], resource: ResourceName, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const q = c.resources?.requests?.[resource];
      const parsed = q === undefined ? undefined : parseQuantity(q);
      if (!parsed) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`);
      sum += Number(parsed.milliValue());
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return out;
}

/** upstream `GetResourceUtilizationRatio`. */
export function utilizationRatio(metrics: ReadonlyMap<string, PodMetric>, requests: ReadonlyMap<string, number>, targetUtilization: number): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [pod, m] of metrics) {
    const r = requests.get(pod);
    if (r === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += r;
    n++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / n) };
}

/** upstream `GetMetricUsageRatio`. */
export function usageRatio(metrics: ReadonlyMap<string, PodMetric>, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = total / metrics.size;
  return { ratio: usage / targetUsage, usage: Math.trunc(usage) };
}

const latest = (metrics: ReadonlyMap<string, PodMetric>): number => Math.max(0, ...[...metrics.values()].map((m) => m.timestamp));

function prepare(pods: readonly Pod[], samples: readonly PodMetricsSample[], resource: ResourceName, opts: CalculatorOptions, container?: string) {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics = podMetricsFor(samples, resource, container);
  const timestamp = latest(metrics);
  const groups = groupPods(pods, metrics, resource, opts);
  for (const p of groups.ignored) metrics.delete(p);
  for (const p of groups.unready) metrics.delete(p);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  return { metrics, groups, timestamp };
}

/**
 * upstream `GetResourceReplicas`: replicas for an average-utilization target (percent of requests).
 * Throws (with upstream's messages) when no usable metrics or requests are available.
 */
export function resourceReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: ResourceName,
  pods: readonly Pod[],
  samples: readonly PodMetricsSample[],
  opts: CalculatorOptions,
  container?: string,
): ReplicaProposal {
  const { metrics, groups, timestamp } = prepare(pods, samples, resource, opts, container);
  const requests = podRequests(pods, resource, container);
  const tolerance = opts.tolerance ?? defaultTolerance;
  const first = utilizationRatio(metrics, requests, targetUtilization);
  const base = { utilization: first.utilization, rawAverage: first.rawAverage, timestamp };
  const scaleUpWithUnready = groups.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return { replicas: currentReplicas, ...base };
    return { replicas: Math.ceil(first.ratio * groups.readyCount), ...base };
  }
  if (groups.missing.size > 0) {
    // Scaling down: assume missing pods use 100 % of their request; scaling up: 0 %.
    for (const p of groups.missing) metrics.set(p, { value: first.ratio < 1 ? (requests.get(p) ?? 0) : 0, timestamp: 0, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const p of groups.unready) metrics.set(p, { value: 0, timestamp: 0, windowMs: 0 });
  const second = utilizationRatio(metrics, requests, targetUtilization).ratio;
  return { replicas: dampened(currentReplicas, first.ratio, second, metrics.size, tolerance), ...base };
}

/** upstream `GetRawResourceReplicas` / `calcPlainMetricReplicas`: replicas for an average-value target (milli-units). */
export function rawResourceReplicas(
  currentReplicas: number,
  targetUsage: number,
  resource: ResourceName,
  pods: readonly Pod[],
  samples: readonly PodMetricsSample[],
  opts: CalculatorOptions,
  container?: string,
): ReplicaProposal {
  const { metrics, groups, timestamp } = prepare(pods, samples, resource, opts, container);
  const tolerance = opts.tolerance ?? defaultTolerance;
  const first = usageRatio(metrics, targetUsage);
  const base = { rawAverage: first.usage, timestamp };
  const scaleUpWithUnready = groups.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return { replicas: currentReplicas, ...base };
    return { replicas: Math.ceil(first.ratio * groups.readyCount), ...base };
  }
  if (groups.missing.size > 0) {
    for (const p of groups.missing) metrics.set(p, { value: first.ratio < 1 ? targetUsage : 0, timestamp: 0, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const p of groups.unready) metrics.set(p, { value: 0, timestamp: 0, windowMs: 0 });
  const second = usageRatio(metrics, targetUsage).ratio;
  return { replicas: dampened(currentReplicas, first.ratio, second, metrics.size, tolerance), ...base };
}

/** The second pass: keep the count when the dampened ratio is within tolerance or changes direction. */
function dampened(currentReplicas: number, ratio: number, newRatio: number, podCount: number, tolerance: number): number {
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return currentReplicas;
  const replicas = Math.ceil(newRatio * podCount);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return currentReplicas;
  return replicas;
}
