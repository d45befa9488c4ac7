/**
 * Request and response counters of the cluster DNS in the Prometheus text format, named as
 * CoreDNS's (`coredns_dns_requests_total`, `coredns_dns_responses_total`), and the small HTTP
 * server that serves them at `/metrics` (CoreDNS's `prometheus :9153`).
 */
import { createServer, type Server } from 'node:http';
import type { Question } from './message.js';
import { RRType } from './message.js';

const typeNames = new Map<number, string>(Object.entries(RRType).map(([k, v]) => [v, k]));
const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${escape(v)}"`)
    .join(',');

export class DnsMetrics {
  private readonly requests = new Map<string, number>();
  private readonly responses = new Map<string, number>();

  constructor(private readonly zone: string) {}

  /** Counts one query and its answer (the handler's `onQuery`). */
  observe(q: Question | undefined, rcode: number, how: 'cluster' | 'forward' | 'error', transport: 'udp' | 'tcp'): void {
    const name = q?.name.toLowerCase().replace(/\.$/, '') ?? '';
    const zone = name === this.zone || name.endsWith(`.${this.zone}`) ? `${this.zone}.` : '.';
    const type = q ? (typeNames.get(q.type) ?? 'other') : 'other';
    const req = labelText({ proto: transport, type, zone });
    this.requests.set(req, (this.requests.get(req) ?? 0) + 1);
    const res = labelText({ plugin: how === 'cluster' ? 'kubernetes' : how === 'forward' ? 'forward' : '', rcode: rcodeNames[rcode] ?? String(rcode), zone });
    this.responses.set(res, (this.responses.get(res) ?? 0) + 1);
  }

  /** The exposition text. */
  render(): string {
    const lines: string[] = [];
    const family = (name: string, help: string, values: Map<string, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of [...values].sort(([a], [b]) => a.localeCompare(b))) lines.push(`${name}{${labels}} ${v}`);
    };
    family('coredns_dns_requests_total', 'Counter of DNS requests made per zone, protocol and type.', this.requests);
    family('coredns_dns_responses_total', 'Counter of response status codes.', this.responses);
    return `${lines.join('\n')}\n`;
  }
}

/** Serves `metrics.render()` at GET /metrics on host:port; resolves once listening. */
export async function serveDnsMetrics(metrics: DnsMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
