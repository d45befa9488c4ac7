/**
 * One HTTP request on a new connection (no keep-alive, so a service proxy picks an endpoint for
 * each), with a timeout: for the e2e tests and the examples' request-stream worker.
 */
import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request on a new connection (so a proxy balances each), with a timeout. */
export function httpRequest(url: string, opts: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method: opts.method ?? (opts.body ? 'POST' : 'GET'), headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers }, agent: false, timeout: opts.timeoutMs ?? 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A GET of http://host:port/path on a new connection; resolves with the body. */
export async function httpGet(host: string, port: number, path = '/'): Promise<string> {
  return (await httpRequest(`http://${host}:${port}${path}`)).body;
}
