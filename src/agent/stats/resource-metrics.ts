/**
 * What the agent's Prometheus endpoints expose, as metric families:
 * - /metrics/resource: the kubelet's resource metrics (pkg/kubelet/metrics/collectors/
 *   resource_metrics.go): node, pod and container CPU counters and memory working sets, each
 *   stamped with the time it was read, plus container start times and the scrape-error gauge;
 * - /metrics: the agent's own state (the kubelet's kubelet_node_name, kubelet_running_pods,
 *   kubelet_running_containers) and the process collector's figures for the agent's process.
 * Pure functions of a Summary and a few counts.
 */
import type { MetricFamily, Sample } from './prometheus-text.js';
import type { CpuStats, MemoryStats, Summary } from './summary.js';

const ms = (rfc: string) => Date.parse(rfc);
const cpuSeconds = (c: CpuStats) => (c.usageCoreNanoSeconds ?? 0) / 1e9;

export function resourceMetricFamilies(summary: Summary | undefined): MetricFamily[] {
  const fam = (name: string, type: MetricFamily['type'], help: string, samples: Sample[]): MetricFamily => ({ name, type, help, stability: 'STABLE', samples });
  const nodeCpu: Sample[] = [];
  const nodeMem: Sample[] = [];
  const podCpu: Sample[] = [];
  const podMem: Sample[] = [];
  const cCpu: Sample[] = [];
  const cMem: Sample[] = [];
  const cStart: Sample[] = [];
  const cpuSample = (c: CpuStats | undefined, labels?: Record<string, string>) => (c?.usageCoreNanoSeconds !== undefined ? [{ labels, value: cpuSeconds(c), timestampMs: ms(c.time) }] : []);
  const memSample = (m: MemoryStats | undefined, labels?: Record<string, string>) => (m?.workingSetBytes !== undefined ? [{ labels, value: m.workingSetBytes, timestampMs: ms(m.time) }] : []);
  if (summary) {
    nodeCpu.push(...cpuSample(summary.node.cpu));
    nodeMem.push(...memSample(summary.node.memory));
    for (const p of summary.pods) {
      const podLabels = { pod: p.podRef.name, namespace: p.podRef.namespace };
      for (const c of p.containers) {
        const labels = { container: c.name, ...podLabels };
        cCpu.push(...cpuSample(c.cpu, labels));
        cMem.push(...memSample(c.memory, labels));
        const start = ms(c.startTime);
        if (start > 0) cStart.push({ labels, value: start / 1000 });
      }
      podCpu.push(...cpuSample(p.cpu, podLabels));
      podMem.push(...memSample(p.memory, podLabels));
    }
  }
  const scrapeError = summary ? 0 : 1;
  return [
    fam('node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds', nodeCpu),
    fam('node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes', nodeMem),
    fam('pod_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the pod in core-seconds', podCpu),
    fam('pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes', podMem),
    fam('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the container in core-seconds', cCpu),
    fam('container_memory_working_set_bytes', 'gauge', 'Current working set of the container in bytes', cMem),
    fam('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds', cStart),
    fam('resource_scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise', [{ value: scrapeError }]),
    { ...fam('scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise', [{ value: scrapeError }]), stability: 'ALPHA' },
  ];
}

/** The agent's own state, counted from the runtime. */
export interface AgentCounts {
  nodeName: string;
  /** Pods with a ready sandbox. */
  runningPods: number;
  /** Containers by CRI state (`running`, `exited`, `created`, `unknown`). */
  containersByState: Record<string, number>;
}

/** The process collector's view of the agent's own process. */
export interface ProcessFigures {
  cpuSeconds: number;
  residentBytes: number;
  virtualBytes?: number;
  startTimeSeconds: number;
  openFds?: number;
  maxFds?: number;
}

export function agentMetricFamilies(counts: AgentCounts, proc: ProcessFigures): MetricFamily[] {
  const alpha = (name: string, type: MetricFamily['type'], help: string, samples: Sample[]): MetricFamily => ({ name, type, help, stability: 'ALPHA', samples });
  const plain = (name: string, type: MetricFamily['type'], help: string, value: number | undefined): MetricFamily => ({ name, type, help, samples: value === undefined ? [] : [{ value }] });
  return [
    alpha('kubelet_node_name', 'gauge', "The node's name. The count is always 1.", [{ labels: { node: counts.nodeName }, value: 1 }]),
    alpha('kubelet_running_pods', 'gauge', 'Number of pods that have a running pod sandbox', [{ value: counts.runningPods }]),
    alpha(
      'kubelet_running_containers',
      'gauge',
      'Number of containers currently running',
      Object.entries(counts.containersByState).map(([state, n]) => ({ labels: { container_state: state }, value: n })),
    ),
    plain('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', proc.cpuSeconds),
    plain('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', proc.residentBytes),
    plain('process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.', proc.virtualBytes),
    plain('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', proc.startTimeSeconds),
    plain('process_open_fds', 'gauge', 'Number of open file descriptors.', proc.openFds),
    plain('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', proc.maxFds),
  ];
}

/** Counts containers by the label value the kubelet uses (`running`, `exited`, `created`, `unknown`). */
export function containerStateLabel(state: string): string {
  return state.replace(/^CONTAINER_/, '').toLowerCase();
}
