/**
 * The API server: HTTPS routing → authentication → discovery / OpenAPI / resources. It owns its
 * listener, watch caches and open watches, and stops them all in `stop()`. No request can crash
 * it: every handler error becomes a Status response.
 */
import { createServer, type Server } from 'node:https';
import { createServer as createPlainServer, type Server as PlainServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { duplexPair } from '../util/duplex-pair.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { StatusError, unauthorized } from '../api/errors.js';
import type { ResourceDef } from '../api/resource.js';
import type { Logger } from '../util/logger.js';
import type { Authenticator, UserInfo } from './auth/authn.js';
import type { ClientCertificate, TlsMaterial } from './auth/tls.js';
import { NodeConnector } from './http/node-connection.js';
import { upgradeResponse } from './http/pod-connect.js';
import type { CachedDocument, OpenAPIDocuments } from './openapi/openapi-documents.js';
import { negotiateOpenAPIv2, openAPIv2ProtobufContentType } from './openapi/openapi-v2-protobuf.js';
import { Discovery } from './http/discovery.js';
import { authenticationDiscovery, selfSubjectReviewPath, serveSelfSubjectReview } from './http/self-subject-review.js';
import { MetricsApi, metricsDiscovery, registrySource } from './metrics/metrics-api.js';
import { METRICS_GROUP } from './metrics/metrics-objects.js';
import { negotiate } from './http/negotiation.js';
import type { TableRenderer } from './http/render.js';
import { parseRequestInfo } from './http/request-info.js';
import { RequestMetrics, requestLabels } from './http/request-metrics.js';
import { type HandlerContext, ResourceHandler, type SchemaChecker } from './http/resource-handler.js';
import { sendJson, sendRaw, sendStatusError } from './http/respond.js';
import { startEventSweeper } from './event-ttl.js';
import { resourcePrefix } from './registry/keys.js';
import { ResourceRegistry } from './registry/resource-registry.js';
import type { RegistryServices } from './registry/services.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface ApiServerConfig {
  bindAddress: string;
  port: number;
  tls: TlsMaterial;
  authenticator: Authenticator;
  services: RegistryServices;
  resources: ResourceDef[];
  schema: SchemaChecker;
  tables: TableRenderer;
  openapi: (resources: ResourceDef[]) => OpenAPIDocuments;
  version: VersionInfo;
  logger: Logger;
  /** Public paths need no credentials (as upstream's system:public-info-viewer allows). */
  publicPaths?: string[];
  /** How long Events live after their last activity (upstream `--event-ttl`, default 1 h). */
  eventTtlMs?: number;
  /** The client certificate presented to node agents (pods/log); without it those requests fail with 503. */
  agentClientCert?: ClientCertificate;
  /** Issues service-account tokens (serviceaccounts/token). */
  tokens?: HandlerContext['tokens'];
  /** Work beside serving requests (allocation repair): prepared before listening, stopped with the server. */
  background?: BackgroundTask[];
}

export interface BackgroundTask {
  /** Runs once before the server listens. */
  prepare?(): Promise<void>;
  start(): void;
  stop(): void;
}

const defaultPublic = ['/healthz', '/livez', '/readyz', '/version'];

export class ApiServer {
  readonly registry: ResourceRegistry;
  private readonly discovery: Discovery;
  private readonly handler: ResourceHandler;
  private readonly metrics: MetricsApi;
  /** Its own request metrics, served at /metrics. */
  private readonly requestMetrics = new RequestMetrics();
  private openapi?: OpenAPIDocuments;
  private server?: Server;
  /** Serves in-process connections (plain HTTP over memory, same routing and authentication). */
  private readonly local: PlainServer;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<() => void>();
  private ready = false;
  private eventSweeper?: { stop(): void };
  private port = 0;

  constructor(private readonly cfg: ApiServerConfig) {
    this.registry = new ResourceRegistry(cfg.services);
    this.discovery = new Discovery(this.registry, () => `${cfg.bindAddress}:${this.port}`, [authenticationDiscovery, metricsDiscovery]);
    this.metrics = new MetricsApi({
      objects: registrySource(this.registry, cfg.services),
      parseLabelSelector: (s) => cfg.services.selectors.parseLabelSelector(s),
      connector: new NodeConnector(cfg.agentClientCert),
      logger: cfg.logger,
    });
    this.local = createPlainServer((req, res) => {
      void this.route(req, res);
    });
    this.local.keepAliveTimeout = 0;
    this.local.requestTimeout = 0;
    this.handler = new ResourceHandler({
      registry: this.registry,
      svc: cfg.services,
      schema: cfg.schema,
      tables: cfg.tables,
      nodes: new NodeConnector(cfg.agentClientCert),
      agentClientCert: cfg.agentClientCert,
      tokens: cfg.tokens,
      track: (stop) => {
        this.watches.add(stop);
        return () => this.watches.delete(stop);
      },
    });
  }

  /** Registers the resources (watch caches start at the current revision) and starts listening. */
  async start(): Promise<void> {
    for (const task of this.cfg.background ?? []) await task.prepare?.();
    for (const task of this.cfg.background ?? []) task.start();
    const rev = await this.cfg.services.store.currentRevision();
    for (const def of this.cfg.resources) this.registry.add(def, rev);
    this.openapi = this.cfg.openapi(this.cfg.resources);
    const events = this.registry.lookup('', 'v1', 'events');
    if (events && this.cfg.eventTtlMs !== 0)
      this.eventSweeper = startEventSweeper({ store: this.cfg.services.store, prefix: resourcePrefix(events.def), ttlMs: this.cfg.eventTtlMs ?? 3_600_000, logger: this.cfg.logger });
    const srv = createServer({ key: this.cfg.tls.keyPem, cert: this.cfg.tls.certPem, ca: this.cfg.tls.caCertPem, requestCert: false }, (req, res) => {
      void this.route(req, res);
    });
    srv.keepAliveTimeout = 65_000;
    srv.headersTimeout = 70_000;
    srv.requestTimeout = 0;
    srv.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    srv.on('tlsClientError', () => undefined);
    srv.on('clientError', (_err, socket) => socket.destroy());
    // exec, attach and port-forward arrive as upgrades: routed like any request, on their own socket.
    srv.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => void this.route(req, upgradeResponse(req, socket, head)));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.cfg.port, this.cfg.bindAddress, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    this.server = srv;
    this.port = (srv.address() as AddressInfo).port;
  }

  /**
   * A connection to this server without TCP or TLS, for components running in the same process
   * (DESIGN.md §2.1): requests over it are routed, authenticated, admitted and validated exactly as
   * those from outside. Closed by stop().
   */
  connectInProcess(): Duplex {
    const [client, server] = duplexPair();
    this.sockets.add(server as unknown as Socket);
    server.once('close', () => this.sockets.delete(server as unknown as Socket));
    this.local.emit('connection', server);
    return client;
  }

  /** Marks the server ready (after bootstrap objects exist): /readyz turns OK. */
  setReady(): void {
    this.ready = true;
  }

  get url(): string {
    const host = this.cfg.bindAddress.includes(':') ? `[${this.cfg.bindAddress}]` : this.cfg.bindAddress === '0.0.0.0' ? '127.0.0.1' : this.cfg.bindAddress;
    return `https://${host}:${this.port}`;
  }

  get listenPort(): number {
    return this.port;
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.eventSweeper?.stop();
    for (const task of this.cfg.background ?? []) task.stop();
    for (const stop of [...this.watches]) stop();
    this.registry.stop();
    const srv = this.server;
    if (!srv) return;
    await new Promise<void>((resolve) => {
      srv.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const path = url.pathname.replace(/\/+$/, '') || '/';
      const info = parseRequestInfo(req.method ?? 'GET', path, url.searchParams);
      const done = this.requestMetrics.begin(requestLabels(req.method ?? 'GET', info, url.searchParams, req.headers['content-type']));
      res.once('close', () => done(res.statusCode));
      let user: UserInfo | undefined;
      if (!(this.cfg.publicPaths ?? defaultPublic).some((p) => path === p || path.startsWith(`${p}/`))) {
        user = await this.cfg.authenticator.authenticate(req);
        if (!user) throw unauthorized();
      }
      if (path === selfSubjectReviewPath && user) return await serveSelfSubjectReview(req, res, user, this.cfg.services.clock.now());
      if (info.kind === 'resource' && info.group === METRICS_GROUP) return await this.metrics.handle(req, res, info, url.searchParams);
      if (info.kind === 'resource') return await this.handler.handle(req, res, info, url.searchParams);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      if (info.kind === 'discovery') return this.serveDiscovery(req, res, info);
      return this.serveNonResource(req, res, path, url.searchParams);
    } catch (err) {
      if (!(err instanceof StatusError)) this.cfg.logger.error('request failed', { method: req.method, url: req.url, error: err instanceof Error ? err.stack : String(err) });
      sendStatusError(res, err);
    }
  }

  private serveDiscovery(req: IncomingMessage, res: ServerResponse, info: Extract<ReturnType<typeof parseRequestInfo>, { kind: 'discovery' }>): void {
    const r = negotiate(req.headers.accept, { discovery: true });
    res.setHeader('Vary', 'Accept');
    if (r.kind === 'discovery' && !info.group && !info.version) {
      return sendRaw(res, 200, this.discovery.aggregated(info.prefix, r.version), `application/json;g=apidiscovery.k8s.io;v=${r.version};as=APIGroupDiscoveryList`);
    }
    sendRaw(res, 200, this.discovery.legacy(info), 'application/json');
  }

  private serveNonResource(req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): void {
    const health = /^\/(healthz|livez|readyz)(\/.*)?$/.exec(path);
    if (health) {
      const ok = health[1] !== 'readyz' || this.ready;
      const checks = ['ping', 'log', 'etcd', 'poststarthook/start-apiextensions-informers', 'poststarthook/bootstrap-controller'];
      if (q.has('verbose')) {
        const lines = checks.map((c) => `[+]${c} ok`).concat(health[1] === 'readyz' ? [`[${this.ready ? '+' : '-'}]bootstrap ${this.ready ? 'ok' : 'failed: not finished'}`] : []);
        return sendRaw(res, ok ? 200 : 500, `${lines.join('\n')}\n${health[1]} check ${ok ? 'passed' : 'failed'}\n`, 'text/plain; charset=utf-8');
      }
      return sendRaw(res, ok ? 200 : 500, ok ? 'ok' : '[-]bootstrap failed: not finished\nreadyz check failed', 'text/plain; charset=utf-8');
    }
    if (path === '/version') return sendJson(res, 200, this.cfg.version);
    if (path === '/metrics') return sendRaw(res, 200, this.requestMetrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
    const oa = this.openapi!;
    const serveDoc = (doc: CachedDocument, immutable: boolean, contentType = 'application/json') => {
      const tag = `"${doc.etag}"`;
      res.setHeader('ETag', tag);
      res.setHeader('Vary', 'Accept');
      if (req.headers['if-none-match'] === tag) {
        res.statusCode = 304;
        res.end();
        return;
      }
      if (immutable) res.setHeader('Cache-Control', 'public, immutable');
      sendRaw(res, 200, doc.body, contentType);
    };
    if (path === '/openapi/v2' || path === '/swagger.json') {
      const form = negotiateOpenAPIv2(req.headers.accept);
      if (!form) throw new StatusError(406, 'NotAcceptable', 'only application/json and application/com.github.proto-openapi.spec.v2@v1.0+protobuf are served for /openapi/v2');
      if (form === 'protobuf') serveDoc(oa.v2Protobuf(), false, openAPIv2ProtobufContentType);
      else serveDoc(oa.v2(), false);
      return;
    }
    if (path === '/openapi/v3') {
      serveDoc(oa.v3Index(), false);
      return;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = oa.v3GroupVersion(path.slice('/openapi/v3/'.length));
      if (!doc) return sendRaw(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
      serveDoc(doc, q.has('hash'));
      return;
    }
    sendRaw(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
  }
}
