/**
 * The agent's /metrics/cadvisor: the CPU and memory series of cAdvisor's Prometheus collector
 * (google/cadvisor metrics/prometheus.go, with the kubelet's label function in
 * pkg/kubelet/server/server.go containerPrometheusLabelsFunc), from what the agent already reads
 * for the Summary API. Each running container gets `container`, `pod`, `namespace`, `image`,
 * `name` (its runtime ID) and `id` (its cgroup path below the cgroup mount, or empty for a
 * process-runtime container, which has no cgroup); the machine gets the root series (`id="/"`, the
 * other labels empty). Values carry the time they were read. Only the families the agent measures
 * are served: cAdvisor's disk, network, per-CPU and spec families are absent, as are pod-level
 * cgroup series.
 */
import type { MetricFamily, Sample } from './prometheus-text.js';
import type { UsagePoint } from './usage.js';

/** One running container's latest reading and what identifies it. */
export interface ContainerReading {
  /** The runtime's container ID. */
  id: string;
  /** The container's name in its pod. */
  name: string;
  image: string;
  pod: string;
  namespace: string;
  /** The container's cgroup path as cAdvisor names it (`/kubepods/...`); undefined without one. */
  cgroupName?: string;
  /** Unix ms; 0 when unknown. */
  startedAtMs: number;
  point: UsagePoint;
}

/** cAdvisor's name for a cgroup directory: its path below the hierarchy's mount point. */
export function cgroupName(dir: string, mount: string): string | undefined {
  const m = mount.replace(/\/+$/, '');
  if (dir === m) return '/';
  return dir.startsWith(`${m}/`) ? dir.slice(m.length) : undefined;
}

/** `scrapeError`: the agent's last read of usage failed. */
export function cadvisorMetricFamilies(containers: readonly ContainerReading[], node: UsagePoint | undefined, scrapeError = false): MetricFamily[] {
  const cpu: Sample[] = [];
  const usage: Sample[] = [];
  const workingSet: Sample[] = [];
  const rss: Sample[] = [];
  const start: Sample[] = [];
  const add = (labels: Record<string, string>, p: UsagePoint) => {
    const at = p.timestampMs;
    cpu.push({ labels: { ...labels, cpu: 'total' }, value: p.cpuNs / 1e9, timestampMs: at });
    usage.push({ labels, value: p.usageBytes, timestampMs: at });
    workingSet.push({ labels, value: p.workingSetBytes, timestampMs: at });
    rss.push({ labels, value: p.rssBytes, timestampMs: at });
  };
  if (node) add({ container: '', id: '/', image: '', name: '', namespace: '', pod: '' }, node);
  for (const c of containers) {
    const labels = { container: c.name, id: c.cgroupName ?? '', image: c.image, name: c.id, namespace: c.namespace, pod: c.pod };
    add(labels, c.point);
    if (c.startedAtMs > 0) start.push({ labels, value: c.startedAtMs / 1000, timestampMs: c.point.timestampMs });
  }
  const fam = (name: string, type: MetricFamily['type'], help: string, samples: Sample[]): MetricFamily => ({ name, type, help, samples });
  return [
    fam('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.', cpu),
    fam('container_memory_usage_bytes', 'gauge', 'Current memory usage in bytes, including all memory regardless of when it was accessed', usage),
    fam('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.', workingSet),
    fam('container_memory_rss', 'gauge', 'Size of RSS in bytes.', rss),
    fam('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds.', start),
    fam('container_scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise', [{ value: scrapeError ? 1 : 0 }]),
  ];
}
