/**
 * Shared pieces of the examples' end-to-end tests: where the examples are, applying one with the
 * real `kubectl apply -k`, and a steady request stream that counts what it got (for rollouts and
 * scaling under traffic).
 */
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kc, type ServerHandle } from '../harness.js';

export const examplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../examples');

/** `kubectl apply -k examples/<name>`; returns kubectl's output. */
export function applyExample(server: ServerHandle, name: string, extra: string[] = []): string {
  return kc(server, ['apply', '-k', join(examplesDir, name), ...extra]);
}

/** `kubectl apply -f examples/<name>/<file>`. */
export function applyFile(server: ServerHandle, name: string, file: string): string {
  return kc(server, ['apply', '-f', join(examplesDir, name, file)]);
}

/** kubectl's JSON output of `args` (with `-o json` added). */
export function kjson<T = any>(server: ServerHandle, args: string[]): T {
  return JSON.parse(kc(server, [...args, '-o', 'json'])) as T;
}

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

export interface StreamResult {
  ok: number;
  failed: number;
  errors: string[];
  /** Successful answers by the `version` field of their JSON body. */
  versions: Record<string, number>;
  /** Successful answers by the `pod` field of their JSON body. */
  pods: Record<string, number>;
}

/**
 * A steady stream of POST /predict requests to `url` (one at a time, each on a new connection,
 * `gapMs` apart) until `stop()` is called; a request fails on a connection error, a timeout or a
 * status other than 200.
 */
export function requestStream(url: string, gapMs = 20): { stop(): Promise<StreamResult>; result: StreamResult } {
  const result: StreamResult = { ok: 0, failed: 0, errors: [], versions: {}, pods: {} };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const r = await httpRequest(url, { body: JSON.stringify({ features: [1, 0.5, 2, 0.1] }) });
        if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.slice(0, 200)}`);
        const out = JSON.parse(r.body) as { version?: string; pod?: string };
        result.ok++;
        result.versions[out.version ?? '?'] = (result.versions[out.version ?? '?'] ?? 0) + 1;
        result.pods[out.pod ?? '?'] = (result.pods[out.pod ?? '?'] ?? 0) + 1;
      } catch (err) {
        result.failed++;
        if (result.errors.length < 20) result.errors.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }
  })();
  return {
    result,
    async stop() {
      stopped = true;
      await loop;
      return result;
    },
  };
}
