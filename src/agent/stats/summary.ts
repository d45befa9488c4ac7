/**
 * The kubelet Summary API document (k8s.io/kubelet/pkg/apis/stats/v1alpha1, served at
 * /stats/summary), the CPU and memory subset: the node, and each pod with its running
 * containers. Built by a pure function from usage series.
 */
import type { UsagePoint, UsageSeries } from './usage.js';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface NodeStats {
  nodeName: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

export interface ContainerInput {
  name: string;
  startedAtMs: number;
  series: UsageSeries;
}

export interface PodInput {
  name: string;
  namespace: string;
  uid: string;
  /** When the pod's sandbox was created. */
  startTimeMs: number;
  containers: ContainerInput[];
}

export interface SummaryInput {
  nodeName: string;
  bootTimeMs: number;
  node: UsageSeries;
  /** The node's available memory at its latest point (MemAvailable). */
  nodeAvailableBytes?: number;
  pods: PodInput[];
  /** The shortest span over which a just-started container's CPU rate is given (see cpuRate). */
  minWindowMs?: number;
}

/** metav1.Time's wire form: RFC 3339 in UTC, whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function cpuStats(series: UsageSeries, startedAtMs: number | undefined, minWindowMs: number | undefined): CpuStats | undefined {
  const last = series.latest();
  if (!last) return undefined;
  const rate = series.rate(startedAtMs, minWindowMs);
  return { time: rfc3339(last.timestampMs), ...(rate ? { usageNanoCores: rate.nanoCores } : {}), usageCoreNanoSeconds: Math.round(last.cpuNs) };
}

function memoryStats(p: UsagePoint | undefined, availableBytes?: number): MemoryStats | undefined {
  if (!p) return undefined;
  return {
    time: rfc3339(p.timestampMs),
    ...(availableBytes !== undefined ? { availableBytes } : {}),
    usageBytes: p.usageBytes,
    workingSetBytes: p.workingSetBytes,
    rssBytes: p.rssBytes,
  };
}

/** A pod's totals: the sum of its containers (a rate only when every container has one). */
function podTotals(containers: ContainerStats[]): { cpu?: CpuStats; memory?: MemoryStats } {
  const cpus = containers.map((c) => c.cpu).filter((c): c is CpuStats => !!c);
  const mems = containers.map((c) => c.memory).filter((m): m is MemoryStats => !!m);
  const latest = (ts: string[]) => ts.reduce((a, b) => (a > b ? a : b));
  const out: { cpu?: CpuStats; memory?: MemoryStats } = {};
  if (cpus.length && cpus.length === containers.length) {
    const allRates = cpus.every((c) => c.usageNanoCores !== undefined);
    out.cpu = {
      time: latest(cpus.map((c) => c.time)),
      ...(allRates ? { usageNanoCores: cpus.reduce((s, c) => s + c.usageNanoCores!, 0) } : {}),
      usageCoreNanoSeconds: cpus.reduce((s, c) => s + (c.usageCoreNanoSeconds ?? 0), 0),
    };
  }
  if (mems.length && mems.length === containers.length) {
    const sum = (k: 'usageBytes' | 'workingSetBytes' | 'rssBytes') => mems.reduce((s, m) => s + (m[k] ?? 0), 0);
    out.memory = { time: latest(mems.map((m) => m.time)), usageBytes: sum('usageBytes'), workingSetBytes: sum('workingSetBytes'), rssBytes: sum('rssBytes') };
  }
  return out;
}

export function buildSummary(input: SummaryInput): Summary {
  const nodeLast = input.node.latest();
  const node: NodeStats = { nodeName: input.nodeName, startTime: rfc3339(input.bootTimeMs) };
  const nodeCpu = cpuStats(input.node, undefined, undefined);
  if (nodeCpu) node.cpu = nodeCpu;
  const nodeMem = memoryStats(nodeLast, input.nodeAvailableBytes);
  if (nodeMem) {
    delete nodeMem.rssBytes;
    node.memory = nodeMem;
  }
  const pods = input.pods
    .map((p): PodStats => {
      const containers = p.containers
        .map((c): ContainerStats => {
          const s: ContainerStats = { name: c.name, startTime: rfc3339(c.startedAtMs) };
          const cpu = cpuStats(c.series, c.startedAtMs, input.minWindowMs);
          const memory = memoryStats(c.series.latest());
          if (cpu) s.cpu = cpu;
          if (memory) s.memory = memory;
          return s;
        })
        .sort((a, b) => a.name.localeCompare(b.name));
      return { podRef: { name: p.name, namespace: p.namespace, uid: p.uid }, startTime: rfc3339(p.startTimeMs), containers, ...podTotals(containers) };
    })
    .sort((a, b) => a.podRef.namespace.localeCompare(b.podRef.namespace) || a.podRef.name.localeCompare(b.podRef.name));
  return { node, pods };
}
