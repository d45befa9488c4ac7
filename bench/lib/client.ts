/**
 * A minimal HTTPS client for the benchmarks: one keep-alive connection per `Connection`, so N
 * concurrent workers hold exactly N sockets, and a streaming watch reader. Plain node:https keeps
 * client overhead low and visible (no client library in the measured path).
 */
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Credentials } from './server.js';

export interface Response {
  status: number;
  body: Buffer;
}

export class Connection {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly creds: Credentials) {
    const u = new URL(creds.url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, ca: creds.caPem });
  }

  request(method: string, path: string, body?: string, headers: Record<string, string> = {}, timeoutMs = 60_000): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.creds.token}`,
            Accept: 'application/json',
            ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
            ...headers,
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async json<T = unknown>(method: string, path: string, body?: unknown, ok = [200, 201]): Promise<T> {
    const res = await this.request(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (!ok.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`);
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string } };
}

/**
 * Opens a watch on its own socket and calls `onEvent` for every newline-delimited event.
 * Resolves once the response headers arrived (the watch is registered); `close()` ends it.
 */
export function openWatch(creds: Credentials, path: string, onEvent: (ev: WatchEvent) => void, onEnd: (err?: Error) => void): Promise<{ close(): void }> {
  const u = new URL(creds.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: u.hostname,
      port: Number(u.port),
      method: 'GET',
      path,
      agent: false,
      ca: creds.caPem,
      headers: { Authorization: `Bearer ${creds.token}`, Accept: 'application/json' },
    });
    let settled = false;
    req.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      } else onEnd(err);
    });
    req.on('response', (res: IncomingMessage) => {
      settled = true;
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.trim() !== '') onEvent(JSON.parse(line) as WatchEvent);
        }
      });
      res.on('end', () => onEnd());
      res.on('error', (err) => onEnd(err));
      resolve({ close: () => req.destroy() });
    });
    req.end();
  });
}

/** Opens `n` keep-alive connections (lazily: each connects on its first request). */
export function openConnections(creds: Credentials, n: number): Connection[] {
  return Array.from({ length: n }, () => new Connection(creds));
}

export interface LoadResult {
  ok: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
}

/**
 * Runs one loop per connection until `next` returns undefined or the deadline passes; back to
 * back (closed loop), or paced at `ratePerSec` overall. Each call's latency (ms) goes to
 * `latencies`; a non-2xx status counts as an error. The caller owns (and closes) the connections,
 * so a warm-up run can leave them connected for the measured run.
 */
export async function runLoad(
  conns: Connection[],
  deadlineMs: number,
  next: () => { method: string; path: string; body: string } | undefined,
  latencies: number[],
  ratePerSec?: number,
): Promise<LoadResult> {
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let ticket = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(deadlineMs * 1e6));
  await Promise.all(
    conns.map(async (conn) => {
      for (;;) {
        let t0 = process.hrtime.bigint();
        if (ratePerSec !== undefined) {
          // Paced (open-loop) mode: request i is due at start + i/rate. Latency counts from the
          // due time, so time spent waiting for a free connection is included (no coordinated
          // omission).
          t0 = start + BigInt(Math.round((ticket++ / ratePerSec) * 1e9));
          const waitMs = Number(t0 - process.hrtime.bigint()) / 1e6;
          if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
        }
        if (t0 >= end) return;
        const r = next();
        if (!r) return;
        try {
          const res = await conn.request(r.method, r.path, r.body);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (res.status >= 200 && res.status < 300) ok++;
          else {
            errors++;
            firstError ??= `HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`;
          }
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    }),
  );
  return { ok, errors, firstError, elapsedMs: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** runLoad on `workers` fresh connections, closed afterwards. */
export async function runClosedLoop(
  creds: Credentials,
  workers: number,
  deadlineMs: number,
  next: () => { method: string; path: string; body: string } | undefined,
  latencies: number[],
): Promise<LoadResult> {
  const conns = openConnections(creds, workers);
  try {
    return await runLoad(conns, deadlineMs, next, latencies);
  } finally {
    for (const c of conns) c.close();
  }
}
