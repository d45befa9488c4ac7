/**
 * The agent's stats endpoints, served by its HTTPS server to the API server (the kubelet's
 * `/stats/summary`, `/metrics/resource`, `/metrics/cadvisor` and `/metrics`). `serveStats`
 * answers the paths it knows and leaves the rest to the caller.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusText, type MetricFamily } from './prometheus-text.js';
import { agentMetricFamilies, containerStateLabel, resourceMetricFamilies, type AgentCounts, type ProcessFigures } from './resource-metrics.js';
import type { Summary } from './summary.js';
import { cadvisorMetricFamilies, type ContainerReading } from './cadvisor-metrics.js';
import type { UsagePoint } from './usage.js';

/** What the endpoints read. */
export interface StatsEndpoints {
  /** The Summary API document from the latest reads. */
  summary(): Summary;
  /** The agent's own metrics (/metrics). */
  agentMetrics(): Promise<MetricFamily[]>;
  /** cAdvisor's CPU and memory series of the machine and each running container (/metrics/cadvisor). */
  cadvisorMetrics(): MetricFamily[];
}

/** What the endpoints are computed from (the StatsCollector). */
export interface StatsSource {
  summary(): Summary;
  containerReadings(): ContainerReading[];
  nodeReading(): UsagePoint | undefined;
  readFailed(): boolean;
}

export const statsPaths = ['/stats/summary', '/metrics/resource', '/metrics/cadvisor', '/metrics'] as const;

/** Answers a GET of one of `statsPaths`; false when `path` is none of them. */
export async function serveStats(stats: StatsEndpoints, path: string, res: ServerResponse): Promise<boolean> {
  const send = (type: string, body: string) => {
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  switch (path) {
    case '/stats/summary':
      send('application/json', JSON.stringify(stats.summary()));
      return true;
    case '/metrics/resource':
      send(PROMETHEUS_CONTENT_TYPE, renderPrometheusText(resourceMetricFamilies(stats.summary())));
      return true;
    case '/metrics/cadvisor':
      send(PROMETHEUS_CONTENT_TYPE, renderPrometheusText(stats.cadvisorMetrics()));
      return true;
    case '/metrics':
      send(PROMETHEUS_CONTENT_TYPE, renderPrometheusText(await stats.agentMetrics()));
      return true;
    default:
      return false;
  }
}

/** Pods with a ready sandbox and containers by state, from the runtime. */
export async function agentCounts(runtime: ContainerRuntime, nodeName: string): Promise<AgentCounts> {
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes(), runtime.listContainers()]);
  const byState: Record<string, number> = { created: 0, exited: 0, running: 0, unknown: 0 };
  for (const c of containers) {
    const s = containerStateLabel(c.state);
    byState[s] = (byState[s] ?? 0) + 1;
  }
  return { nodeName, runningPods: new Set(sandboxes.filter((s) => s.state === 'SANDBOX_READY').map((s) => s.metadata.uid)).size, containersByState: byState };
}

/** The agent process's own figures, as Prometheus' process collector reports them. */
export async function processFigures(): Promise<ProcessFigures> {
  const cpu = process.cpuUsage();
  const figures: ProcessFigures = {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    residentBytes: process.memoryUsage.rss(),
    startTimeSeconds: Math.round(Date.now() / 1000 - process.uptime()),
  };
  const fds = await readdir('/proc/self/fd').catch(() => undefined);
  if (fds) figures.openFds = fds.length;
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const max = /^Max open files\s+(\d+)/m.exec(limits);
  if (max) figures.maxFds = Number(max[1]);
  return figures;
}

/** The endpoints over a stats source and a runtime. */
export function statsEndpoints(source: StatsSource, runtime: ContainerRuntime, nodeName: string): StatsEndpoints {
  return {
    summary: () => source.summary(),
    cadvisorMetrics: () => cadvisorMetricFamilies(source.containerReadings(), source.nodeReading(), source.readFailed()),
    agentMetrics: async () => agentMetricFamilies(await agentCounts(runtime, nodeName), await processFigures()),
  };
}
