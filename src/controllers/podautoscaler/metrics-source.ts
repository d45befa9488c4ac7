/**
 * Where the HPA controller gets pod resource usage (upstream's `metricsclient.MetricsClient`,
 * `pkg/controller/podautoscaler/metrics/client.go`, resource half only).
 */
import { isStatusError } from '../../api/errors.js';
import { parseQuantity } from '../../api/quantity.js';
import type { ApiClient } from '../../client/api-client.js';
import { parseDuration } from '../../util/duration.js';

/** Usage of one container: CPU in millicores, memory in bytes. */
export interface ContainerUsage {
  name: string;
  usage: { cpu?: number; memory?: number };
}

/** One pod's sample, as metrics.k8s.io/v1beta1 PodMetrics carries it. */
export interface PodMetricsSample {
  pod: string;
  /** When the sample was taken (ms since the epoch). */
  timestamp: number;
  /** The window the usage was averaged over (ms). */
  windowMs: number;
  containers: ContainerUsage[];
}

/**
 * Pod metrics of the pods matching `selector` (a label selector string) in `namespace`. Rejects
 * with an Error whose message says why when the metrics cannot be fetched.
 */
export interface MetricsSource {
  podMetrics(namespace: string, selector: string, signal?: AbortSignal): Promise<PodMetricsSample[]>;
}

interface PodMetricsObject {
  metadata?: { name?: string };
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: Record<string, string> }[];
}

/** Reads `metrics.k8s.io/v1beta1` PodMetrics through the API (served by an aggregated metrics-server). */
export class MetricsApiSource implements MetricsSource {
  constructor(private readonly client: ApiClient) {}

  async podMetrics(namespace: string, selector: string, signal?: AbortSignal): Promise<PodMetricsSample[]> {
    let list: { items?: PodMetricsObject[] };
    try {
      const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
      list = await this.client.request(`GET`, `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods${q}`, { signal });
    } catch (e) {
      const msg = isStatusError(e) && e.code === 404 ? 'the server could not find the requested resource (get pods.metrics.k8s.io)' : (e as Error).message;
      throw new Error(`unable to fetch metrics from resource metrics API: ${msg}`);
    }
    const items = list.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
    return items.map((m) => ({
      pod: m.metadata?.name ?? '',
      timestamp: m.timestamp ? Date.parse(m.timestamp) : 0,
      windowMs: m.window ? safeDuration(m.window) : 0,
      containers: (m.containers ?? []).map((c) => ({
        name: c.name ?? '',
        usage: {
          cpu: quantityOrUndefined(c.usage?.cpu, (q) => Number(q.milliValue())),
          memory: quantityOrUndefined(c.usage?.memory, (q) => q.value()),
        },
      })),
    }));
  }
}

function quantityOrUndefined(s: string | undefined, f: (q: NonNullable<ReturnType<typeof parseQuantity>>) => number): number | undefined {
  if (s === undefined) return undefined;
  const q = parseQuantity(s);
  return q ? f(q) : undefined;
}

function safeDuration(s: string): number {
  try {
    return parseDuration(s);
  } catch {
    return 0;
  }
}

/** Metrics a test sets directly: per namespace, the samples returned for any selector (filtered by `pods` when given). */
export class FakeMetricsSource implements MetricsSource {
  private readonly samples = new Map<string, PodMetricsSample[] | ((selector: string) => Promise<PodMetricsSample[]>)>();
  private failure: Error | undefined;
  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces the samples for `namespace`: fixed ones, or a function asked on every call. */
  set(namespace: string, samples: PodMetricsSample[] | ((selector: string) => Promise<PodMetricsSample[]>)): void {
    this.samples.set(namespace, samples);
  }

  /** Every pod named in `pods` uses `cpuMilli` in one container `name`, sampled now over 30 s. */
  setCpu(namespace: string, pods: readonly string[], cpuMilli: number, container = 'app'): void {
    this.set(namespace, pods.map((pod) => ({ pod, timestamp: this.now(), windowMs: 30_000, containers: [{ name: container, usage: { cpu: cpuMilli, memory: 0 } }] })));
  }

  /** Makes every call fail with `err` (undefined to stop failing). */
  fail(err: Error | undefined): void {
    this.failure = err;
  }

  async podMetrics(namespace: string, selector: string): Promise<PodMetricsSample[]> {
    if (this.failure) throw this.failure;
    const source = this.samples.get(namespace) ?? [];
    const s = typeof source === 'function' ? await source(selector) : source;
    if (s.length === 0) throw new Error('no metrics returned from resource metrics API');
    return s.map((x) => ({ ...x, containers: x.containers.map((c) => ({ name: c.name, usage: { ...c.usage } })) }));
  }
}
