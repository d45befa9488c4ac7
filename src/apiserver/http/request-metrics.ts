/**
 * The API server's own Prometheus metrics, served at /metrics in the text exposition format: the
 * request counter and latency histogram with kube-apiserver's names and labels
 * (`apiserver_request_total`, `apiserver_request_duration_seconds`), the in-flight gauge by request
 * kind, and the process metrics. Labels are derived from the request alone (`requestLabels`, pure).
 */
import type { RequestInfo } from './request-info.js';

export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: 'apiserver';
}

const connectSubresources = new Set(['exec', 'attach', 'portforward', 'proxy']);

/**
 * The labels a request is counted under, as kube-apiserver cleans them: the HTTP method in upper
 * case, except LIST and WATCH for reads of collections and watches, APPLY for server-side apply
 * and CONNECT for the streaming subresources; the scope is `resource` for a named object (or a
 * create), `namespace` inside a namespace, `cluster` otherwise, and empty off the resource paths.
 */
export function requestLabels(method: string, info: RequestInfo, query: URLSearchParams, contentType = ''): RequestLabels {
  const base = { dry_run: query.getAll('dryRun').includes('All') ? 'All' : '', component: 'apiserver' as const };
  if (info.kind !== 'resource') return { ...base, verb: method.toUpperCase(), group: '', version: '', resource: '', subresource: '', scope: '' };
  let verb = method.toUpperCase();
  if (info.subresource && connectSubresources.has(info.subresource)) verb = 'CONNECT';
  else if (info.verb === 'list') verb = 'LIST';
  else if (info.verb === 'watch') verb = 'WATCH';
  else if (info.verb === 'patch' && contentType.split(';')[0]!.trim() === 'application/apply-patch+yaml') verb = 'APPLY';
  if (verb === 'HEAD') verb = 'GET';
  const scope = info.name || info.verb === 'create' ? 'resource' : info.namespace ? 'namespace' : 'cluster';
  return { ...base, verb, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource ?? '', scope };
}

/** Long-running requests (watches, streams) are left out of the latency histogram and the in-flight gauge. */
const longRunning = (l: RequestLabels): boolean => l.verb === 'WATCH' || l.verb === 'CONNECT';
const mutating = (l: RequestLabels): boolean => !['GET', 'LIST', 'WATCH', 'CONNECT', 'OPTIONS'].includes(l.verb);

const buckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const labelOrder: (keyof RequestLabels)[] = ['component', 'dry_run', 'group', 'resource', 'scope', 'subresource', 'verb', 'version'];
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (l: RequestLabels, extra: Record<string, string> = {}): string =>
  [...Object.entries(extra).filter(([k]) => k === 'code'), ...labelOrder.map((k) => [k, l[k]] as const), ...Object.entries(extra).filter(([k]) => k !== 'code')].map(([k, v]) => `${k}="${escape(v)}"`).join(',');

interface Histogram {
  labels: RequestLabels;
  counts: number[];
  sum: number;
  count: number;
}

export class RequestMetrics {
  private readonly totals = new Map<string, { labels: RequestLabels; code: string; n: number }>();
  private readonly durations = new Map<string, Histogram>();
  private readonly inflight = { mutating: 0, readOnly: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Counts a request from now on; call the returned function once, when its response is done. */
  begin(labels: RequestLabels): (code: number) => void {
    const started = this.now();
    const kind = mutating(labels) ? 'mutating' : 'readOnly';
    const tracked = !longRunning(labels);
    if (tracked) this.inflight[kind]++;
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      if (tracked) this.inflight[kind]--;
      this.observe(labels, code, (this.now() - started) / 1000);
    };
  }

  observe(labels: RequestLabels, code: number, seconds: number): void {
    const key = labelText(labels);
    const total = this.totals.get(`${code}|${key}`) ?? { labels, code: String(code), n: 0 };
    total.n++;
    this.totals.set(`${code}|${key}`, total);
    if (longRunning(labels)) return;
    let h = this.durations.get(key);
    if (!h) this.durations.set(key, (h = { labels, counts: buckets.map(() => 0), sum: 0, count: 0 }));
    h.sum += seconds;
    h.count++;
    buckets.forEach((b, i) => {
      if (seconds <= b) h.counts[i]++;
    });
  }

  /** The metrics in the Prometheus text format (version 0.0.4). */
  render(): string {
    const out: string[] = [];
    out.push('# HELP apiserver_current_inflight_requests Maximal number of currently used inflight request limit of this apiserver per request kind in last second.');
    out.push('# TYPE apiserver_current_inflight_requests gauge');
    out.push(`apiserver_current_inflight_requests{request_kind="mutating"} ${this.inflight.mutating}`, `apiserver_current_inflight_requests{request_kind="readOnly"} ${this.inflight.readOnly}`);
    out.push('# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.');
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    for (const h of this.durations.values()) {
      buckets.forEach((b, i) => out.push(`apiserver_request_duration_seconds_bucket{${labelText(h.labels, { le: String(b) })}} ${h.counts[i]}`));
      out.push(`apiserver_request_duration_seconds_bucket{${labelText(h.labels, { le: '+Inf' })}} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${labelText(h.labels)}} ${h.sum}`, `apiserver_request_duration_seconds_count{${labelText(h.labels)}} ${h.count}`);
    }
    out.push('# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.');
    out.push('# TYPE apiserver_request_total counter');
    for (const t of this.totals.values()) out.push(`apiserver_request_total{${labelText(t.labels, { code: t.code })}} ${t.n}`);
    const cpu = process.cpuUsage();
    out.push('# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.', '# TYPE process_cpu_seconds_total counter', `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    out.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${process.memoryUsage().rss}`);
    out.push('# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.', '# TYPE process_start_time_seconds gauge', `process_start_time_seconds ${Math.floor((Date.now() - process.uptime() * 1000) / 1000)}`);
    return `${out.join('\n')}\n`;
  }
}
