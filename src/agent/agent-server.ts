/**
 * The agent's HTTPS endpoint (the kubelet's port 10250 server) that the API server proxies to:
 * `/containerLogs/{namespace}/{pod}/{container}`, `/pods`, `/configz`, the stats and metrics
 * endpoints, streaming, and `/healthz`. Only the API server may call it (`/healthz` aside): a
 * client certificate issued by the cluster CA for the API server's agent-client identity.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { StatusError } from '../api/errors.js';
import { agentClientCommonName, type TlsMaterial } from '../apiserver/auth/tls.js';
import type { Logger } from '../util/logger.js';
import { type LogOptions, readContainerLogs } from './logs/cri-log-reader.js';
import { serveStats, type StatsEndpoints } from './stats/stats-routes.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type kubeletConfigz, nodePodList } from './node/node-endpoints.js';

/** What the agent knows about one container's log file. */
export interface LogTarget {
  path: string;
  /** Whether the container has stopped writing (ends a follow). */
  isDone: () => boolean;
}

export interface AgentServerOptions {
  bindAddress: string;
  port: number;
  tls: TlsMaterial;
  /** The cluster CA that issued the API server's client certificate. */
  clientCaPem: string;
  /** Resolves a log request to a file, or throws a StatusError in the kubelet's words. */
  logTarget: (namespace: string, pod: string, container: string, previous: boolean) => Promise<LogTarget>;
  /** Serves the upgraded connections of /exec, /attach and /portForward when given. */
  streaming?: { handle(req: IncomingMessage, socket: Duplex, head: Buffer): void };
  /** Serves /stats/summary, /metrics/resource, /metrics/cadvisor and /metrics when given. */
  stats?: StatsEndpoints;
  /** The pods bound to the node as the agent sees them (/pods). */
  pods?: () => Pod[];
  /** The agent's configuration (/configz). */
  configz?: () => ReturnType<typeof kubeletConfigz>;
  logger: Logger;
}

function sendStatus(res: ServerResponse, err: unknown): void {
  const s = err instanceof StatusError ? err : new StatusError(500, 'InternalError', (err as Error).message);
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(s.code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: s.message, reason: s.reason, code: s.code }));
}

/** The kubelet's log query parameters as LogOptions. */
export function logOptionsFromQuery(q: URLSearchParams, now: number): LogOptions {
  const num = (k: string) => (q.get(k) !== null && q.get(k) !== '' ? Number(q.get(k)) : undefined);
  const opts: LogOptions = { follow: q.get('follow') === 'true', timestamps: q.get('timestamps') === 'true' };
  const tail = num('tailLines');
  if (tail !== undefined && tail >= 0) opts.tailLines = tail;
  const limit = num('limitBytes');
  if (limit !== undefined && limit > 0) opts.limitBytes = limit;
  const sinceSeconds = num('sinceSeconds');
  if (sinceSeconds !== undefined && sinceSeconds > 0) opts.sinceTime = now - sinceSeconds * 1000;
  const sinceTime = q.get('sinceTime');
  if (sinceTime && !Number.isNaN(Date.parse(sinceTime))) opts.sinceTime = Date.parse(sinceTime);
  return opts;
}

export class AgentServer {
  private server?: Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly opts: AgentServerOptions) {}

  async start(): Promise<number> {
    const srv = createServer({ key: this.opts.tls.keyPem, cert: this.opts.tls.certPem, ca: this.opts.clientCaPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      void this.route(req, res);
    });
    srv.on('connection', (s: import('node:net').Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    srv.on('tlsClientError', () => undefined);
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.opts.port, this.opts.bindAddress, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    this.server = srv;
    return (srv.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const srv = this.server;
    if (!srv) return;
    await new Promise<void>((resolve) => {
      srv.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  /** Streaming requests (exec, attach, port-forward) arrive as upgrades; the same client check applies. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const refuse = (code: number, text: string): void =>
      void socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length + 1}\r\nConnection: close\r\n\r\n${text}\n`);
    if (!this.authorized(req)) return refuse(401, 'Unauthorized');
    if (!this.opts.streaming) return refuse(404, 'Not Found');
    this.opts.streaming.handle(req, socket, head);
  }

  private authorized(req: IncomingMessage): boolean {
    const sock = req.socket as TLSSocket;
    if (!sock.authorized) return false;
    const cert = sock.getPeerCertificate();
    return cert?.subject?.CN === agentClientCommonName;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://agent');
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (!this.authorized(req)) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      if (this.opts.stats && req.method === 'GET' && (await serveStats(this.opts.stats, url.pathname, res))) return;
      const json = req.method === 'GET' && url.pathname === '/pods' && this.opts.pods ? nodePodList(this.opts.pods()) : req.method === 'GET' && url.pathname === '/configz' && this.opts.configz ? this.opts.configz() : undefined;
      if (json) {
        const body = JSON.stringify(json);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m || req.method !== 'GET') throw new StatusError(404, 'NotFound', '404 page not found');
      const [ns, pod, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
      const target = await this.opts.logTarget(ns, pod, container, url.searchParams.get('previous') === 'true');
      const ac = new AbortController();
      res.on('close', () => ac.abort());
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      await readContainerLogs(
        target.path,
        logOptionsFromQuery(url.searchParams, Date.now()),
        (chunk) =>
          new Promise<void>((resolve) => {
            if (res.destroyed || res.write(chunk)) return resolve();
            res.once('drain', () => resolve());
            res.once('close', () => resolve());
          }),
        { signal: ac.signal, isDone: target.isDone },
      );
      res.end();
    } catch (e) {
      if (!(e instanceof StatusError)) this.opts.logger.warn('agent request failed', { url: req.url, error: (e as Error).message });
      sendStatus(res, e);
    }
  }
}
