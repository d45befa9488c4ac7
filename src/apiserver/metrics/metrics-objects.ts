/**
 * metrics.k8s.io/v1beta1 objects (k8s.io/metrics pkg/apis/metrics/v1beta1: NodeMetrics,
 * PodMetrics and their lists) built from the agents' Summary API documents, as metrics-server
 * builds them: CPU in nanocores (canonical form, e.g. `12345n` or `2m`), memory working set in
 * binary-SI bytes (`Ki`), the sample time and the window the rate covers; a node or pod without a
 * complete reading is left out, and only Running pods are reported. Pure functions.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity, Quantity } from '../../api/quantity.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** The part of an agent's /stats/summary this reads (k8s.io/kubelet stats/v1alpha1). */
export interface SummaryCpu {
  time?: string;
  usageNanoCores?: number;
}
export interface SummaryMemory {
  time?: string;
  workingSetBytes?: number;
}
export interface SummaryContainer {
  name: string;
  startTime?: string;
  cpu?: SummaryCpu;
  memory?: SummaryMemory;
}
export interface SummaryPod {
  podRef: { name: string; namespace: string; uid?: string };
  containers?: SummaryContainer[];
}
export interface NodeSummary {
  node: { nodeName?: string; cpu?: SummaryCpu; memory?: SummaryMemory };
  pods?: SummaryPod[];
}

export type Usage = { cpu: string; memory: string };

export interface NodeMetrics {
  kind: 'NodeMetrics';
  apiVersion: typeof METRICS_API_VERSION;
  metadata: { name: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  usage: Usage;
}

export interface PodMetrics {
  kind: 'PodMetrics';
  apiVersion: typeof METRICS_API_VERSION;
  metadata: { name: string; namespace: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  containers: { name: string; usage: Usage }[];
}

export const cpuQuantity = (nanoCores: number): string => Quantity.fromScaled(Math.max(0, Math.round(nanoCores)), -9).toString();
export const memoryQuantity = (bytes: number): string => Quantity.fromInt(Math.max(0, Math.round(bytes)), 'BinarySI').toString();

/** A duration as Go's time.Duration.String() writes it (metav1.Duration's wire form): `10s`, `10.5s`, `1m0s`, `500ms`. */
export function goDuration(ms: number): string {
  ms = Math.round(ms);
  if (ms === 0) return '0s';
  if (ms < 0) return `-${goDuration(-ms)}`;
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = ((ms % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  return `${h ? `${h}h${m}m` : m ? `${m}m` : ''}${s}s`;
}

const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** The earlier of the CPU and memory reading times (as metrics-server takes it), or undefined when either is missing. */
function readingTime(cpu: SummaryCpu | undefined, memory: SummaryMemory | undefined): number | undefined {
  if (cpu?.usageNanoCores === undefined || memory?.workingSetBytes === undefined) return undefined;
  const times = [cpu.time, memory.time].map((t) => (t ? Date.parse(t) : NaN)).filter((t) => !Number.isNaN(t));
  return times.length ? Math.min(...times) : undefined;
}

export interface BuildOptions {
  /** When the object is made (creationTimestamp). */
  now: number;
  /** The span agents take CPU rates over (their sampling period). */
  windowMs: number;
}

/** NodeMetrics for `node` from its agent's summary; undefined when the summary lacks a complete reading. */
export function nodeMetrics(node: Node, summary: NodeSummary | undefined, o: BuildOptions): NodeMetrics | undefined {
  const n = summary?.node;
  const at = readingTime(n?.cpu, n?.memory);
  if (at === undefined) return undefined;
  const labels = node.metadata?.labels;
  return {
    kind: 'NodeMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata: { name: node.metadata?.name ?? '', creationTimestamp: rfc3339(o.now), ...(labels && Object.keys(labels).length ? { labels: { ...labels } } : {}) },
    timestamp: rfc3339(at),
    window: goDuration(o.windowMs),
    usage: { cpu: cpuQuantity(n!.cpu!.usageNanoCores!), memory: memoryQuantity(n!.memory!.workingSetBytes!) },
  };
}

/**
 * PodMetrics for a Running `pod` from its node's summary: every container the summary lists for
 * it must have CPU and memory, else the pod is left out (the HPA treats a missing pod specially,
 * and zero usage would read as a real value). The timestamp is the earliest container reading; a
 * container younger than the window had its rate taken since its start.
 */
export function podMetrics(pod: Pod, summary: NodeSummary | undefined, o: BuildOptions): PodMetrics | undefined {
  if (pod.status?.phase !== 'Running' || !summary) return undefined;
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const uid = pod.metadata?.uid;
  const stats = summary.pods?.find((p) => p.podRef.name === name && p.podRef.namespace === namespace && (!uid || !p.podRef.uid || p.podRef.uid === uid));
  const containers = stats?.containers ?? [];
  if (!containers.length) return undefined;
  let earliest: { at: number; windowMs: number } | undefined;
  const out: PodMetrics['containers'] = [];
  for (const c of containers) {
    const at = readingTime(c.cpu, c.memory);
    if (at === undefined) return undefined;
    const started = c.startTime ? Date.parse(c.startTime) : NaN;
    const windowMs = !Number.isNaN(started) && at - started < o.windowMs ? Math.max(1000, at - started) : o.windowMs;
    if (!earliest || at < earliest.at) earliest = { at, windowMs };
    out.push({ name: c.name, usage: { cpu: cpuQuantity(c.cpu!.usageNanoCores!), memory: memoryQuantity(c.memory!.workingSetBytes!) } });
  }
  const labels = pod.metadata?.labels;
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata: { name, namespace, creationTimestamp: rfc3339(o.now), ...(labels && Object.keys(labels).length ? { labels: { ...labels } } : {}) },
    timestamp: rfc3339(earliest!.at),
    window: goDuration(earliest!.windowMs),
    containers: out,
  };
}

export function metricsList<T extends NodeMetrics | PodMetrics>(kind: 'NodeMetricsList' | 'PodMetricsList', items: T[]): { kind: string; apiVersion: string; metadata: Record<string, never>; items: T[] } {
  return { kind, apiVersion: METRICS_API_VERSION, metadata: {}, items };
}

/** The Table metrics-server gives for these objects: the name, each usage summed over containers, and the window. */
export function metricsTable(items: (NodeMetrics | PodMetrics)[], tableVersion: string): Record<string, unknown> {
  const usageOf = (m: NodeMetrics | PodMetrics): Record<string, Quantity> => {
    const list = m.kind === 'NodeMetrics' ? [m.usage] : m.containers.map((c) => c.usage);
    const sum: Record<string, Quantity> = {};
    for (const u of list) {
      for (const [k, v] of Object.entries(u)) {
        const q = parseQuantity(v) ?? Quantity.zero();
        sum[k] = sum[k] ? sum[k]!.add(q) : q;
      }
    }
    return sum;
  };
  const names = ['cpu', 'memory'];
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${tableVersion}`,
    metadata: {},
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
      ...names.map((n) => ({ name: n, type: 'string', format: 'quantity', description: '', priority: 0 })),
      { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
    ],
    rows: items.map((m) => {
      const u = usageOf(m);
      return { cells: [m.metadata.name, ...names.map((n) => u[n]?.toString() ?? '0'), m.window], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: m.metadata } };
    }),
  };
}
