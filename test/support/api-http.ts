/**
 * A minimal HTTPS client for end-to-end tests, authenticated from a server's kubeconfig (bearer
 * token, pinned CA). It speaks raw HTTP so tests see exactly what kube-apiserver clients see:
 * status codes, headers and bodies, and watch streams event by event.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface Reply {
  code: number;
  body: string;
  headers: IncomingHttpHeaders;
}

export interface SendOptions {
  /** Content-Type of the body (default application/json). */
  contentType?: string;
  accept?: string;
  /** Bearer token; '' sends none; default: the kubeconfig's. */
  token?: string;
  headers?: Record<string, string>;
}

export interface WatchEvent<T = Record<string, unknown>> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** An open watch: events arrive in order; `next` waits for one with a deadline. */
export interface WatchStream {
  code: number;
  headers: IncomingHttpHeaders;
  /** Waits for the next event; rejects after `timeoutMs` or when the stream ended first. */
  next(timeoutMs?: number): Promise<WatchEvent>;
  /** Collects events until `done(events)` is true; rejects at the deadline. */
  until(done: (events: WatchEvent[]) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Resolves with every event not yet taken once the server ends the stream. */
  ended(timeoutMs?: number): Promise<WatchEvent[]>;
  close(): void;
}

interface Kubeconfig {
  clusters: { cluster: { 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

export interface ApiHttp {
  send(method: string, path: string, body?: unknown, opts?: SendOptions): Promise<Reply>;
  /** send + expects `want` and parses the JSON body. */
  json<T = Record<string, unknown>>(method: string, path: string, body?: unknown, want?: number, opts?: SendOptions): Promise<T>;
  watch(path: string, opts?: SendOptions): Promise<WatchStream>;
  close(): void;
}

export function apiHttp(srv: { url: string; kubeconfig: string }, maxSockets = 8): ApiHttp {
  const cfg = parse(readFileSync(srv.kubeconfig, 'utf8')) as Kubeconfig;
  const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64');
  const defaultToken = cfg.users[0].user.token;
  const agent = new Agent({ keepAlive: true, maxSockets, ca });
  const watchAgent = new Agent({ keepAlive: false, ca });
  const url = new URL(srv.url);
  const streams = new Set<() => void>();

  const headersFor = (opts: SendOptions, body: string | Buffer | undefined): Record<string, string> => {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...opts.headers };
    const token = opts.token ?? defaultToken;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return headers;
  };
  const encode = (body: unknown): string | Buffer | undefined =>
    body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);

  const send = (method: string, path: string, body?: unknown, opts: SendOptions = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = encode(body);
      const req = request({ host: url.hostname, port: url.port, method, path, agent, headers: headersFor(opts, data) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });

  const json = async <T>(method: string, path: string, body?: unknown, want?: number, opts?: SendOptions): Promise<T> => {
    const r = await send(method, path, body, opts);
    if (want !== undefined && r.code !== want) throw new Error(`${method} ${path}: want ${want}, got ${r.code}: ${r.body.slice(0, 500)}`);
    return JSON.parse(r.body) as T;
  };

  const watch = (path: string, opts: SendOptions = {}): Promise<WatchStream> =>
    new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'GET', path, agent: watchAgent, headers: headersFor(opts, undefined) });
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          // Not a stream: the reply is a Status.
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => reject(Object.assign(new Error(`watch ${path}: ${res.statusCode}: ${text}`), { code: res.statusCode, body: text })));
          return;
        }
        const queue: WatchEvent[] = [];
        let partial = '';
        let done = false;
        let wake: (() => void) | undefined;
        const notify = () => {
          const w = wake;
          wake = undefined;
          w?.();
        };
        res.on('data', (c: Buffer) => {
          partial += c.toString();
          let nl;
          while ((nl = partial.indexOf('\n')) >= 0) {
            const line = partial.slice(0, nl).trim();
            partial = partial.slice(nl + 1);
            if (line) queue.push(JSON.parse(line) as WatchEvent);
          }
          notify();
        });
        const finish = () => {
          if (partial.trim() && res.statusCode === 200) queue.push(JSON.parse(partial) as WatchEvent);
          partial = '';
          done = true;
          notify();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
        const close = () => {
          streams.delete(close);
          req.destroy();
        };
        streams.add(close);
        /** Waits until `ready()` holds, the stream ends, or the deadline passes. */
        const waitFor = async (ready: () => boolean, timeoutMs: number, what: string): Promise<void> => {
          const deadline = Date.now() + timeoutMs;
          while (!ready()) {
            if (done) throw new Error(`watch ${path} ended before ${what}; pending: ${JSON.stringify(queue).slice(0, 500)}`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`watch ${path}: timed out waiting for ${what}; pending: ${JSON.stringify(queue).slice(0, 500)}`);
            await new Promise<void>((r) => {
              const t = setTimeout(r, left);
              wake = () => {
                clearTimeout(t);
                r();
              };
            });
          }
        };
        const stream: WatchStream = {
          code: res.statusCode ?? 0,
          headers: res.headers,
          async next(timeoutMs = 5000) {
            await waitFor(() => queue.length > 0, timeoutMs, 'an event');
            return queue.shift()!;
          },
          async until(cond, timeoutMs = 5000) {
            const seen: WatchEvent[] = [];
            await waitFor(() => {
              while (queue.length) seen.push(queue.shift()!);
              return cond(seen);
            }, timeoutMs, 'the expected events');
            return seen;
          },
          async ended(timeoutMs = 5000) {
            const deadline = Date.now() + timeoutMs;
            while (!done) {
              const left = deadline - Date.now();
              if (left <= 0) throw new Error(`watch ${path} did not end within ${timeoutMs}ms`);
              await new Promise<void>((r) => {
                const t = setTimeout(r, left);
                wake = () => {
                  clearTimeout(t);
                  r();
                };
              });
            }
            close();
            return queue.splice(0);
          },
          close,
        };
        resolve(stream);
      });
      req.end();
    });

  return {
    send,
    json,
    watch,
    close() {
      for (const s of [...streams]) s();
      agent.destroy();
      watchAgent.destroy();
    },
  };
}
