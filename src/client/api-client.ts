/**
 * Capstan's REST client for the Kubernetes API (the job of client-go's `rest` + `dynamic` clients):
 * CRUD, patch, delete(-collection) and watch on any resource given its group/version/plural,
 * over one keep-alive agent. Failures are thrown as the `StatusError` the server sent.
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StatusError, type StatusDetails, type StatusReason } from '../api/errors.js';
import type { ApiObject } from '../api/object.js';
import { type ClientConfig, loadKubeconfig } from './client-config.js';
import { type ResourceRef, resourcePath } from './resource-path.js';

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  signal?: AbortSignal;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WatchOptions extends Omit<ListOptions, 'limit' | 'continue' | 'resourceVersionMatch'> {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface DeleteOptions {
  namespace?: string;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = ApiObject> {
  type: WatchEventType;
  /** The object; for ERROR, a `Status`. */
  object: T;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

const reasonForCode: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/**
 * The error for a failed response: the server's `Status` when the body is one, otherwise one built
 * from the HTTP code (client-go's `newUnstructuredResponseError`).
 */
export function statusErrorFromResponse(code: number, body: string): StatusError {
  try {
    const s = JSON.parse(body) as { kind?: string; code?: number; reason?: string; message?: string; details?: StatusDetails };
    if (s && s.kind === 'Status') return new StatusError(s.code || code, (s.reason ?? '') as StatusReason, s.message ?? '', s.details);
  } catch {
    // not JSON: fall through
  }
  const text = body.trim();
  const message = code === 404 && !text ? 'the server could not find the requested resource' : text || `the server responded with the status code ${code} but did not return more information`;
  return new StatusError(code, reasonForCode[code] ?? (code >= 500 ? 'InternalError' : ''), message);
}

/** Non-watch requests fail after this long without a response (client-go has no default; a stuck worker is worse). */
const defaultRequestTimeoutMs = 60_000;
/** Concurrent non-watch connections per client. */
const maxRequestSockets = 64;

/** An http.Agent whose connections are in-process pairs handed out by `connect`. */
class InProcessAgent extends HttpAgent {
  constructor(
    private readonly connect: () => Duplex,
    opts: ConstructorParameters<typeof HttpAgent>[0],
  ) {
    super(opts);
  }

  override createConnection(): Socket {
    return this.connect() as unknown as Socket;
  }
}

export class ApiClient {
  private readonly base: URL;
  /** Requests share a bounded pool; each watch holds its socket, so watches get their own pool. */
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly watchAgent: HttpAgent | HttpsAgent;
  private readonly headers: Record<string, string>;
  readonly config: Readonly<ClientConfig>;

  constructor(config: ClientConfig) {
    this.config = config;
    this.base = new URL(config.server);
    const secure = this.base.protocol === 'https:' && !config.connect;
    const connect = config.connect;
    const newAgent = (maxSockets: number) =>
      connect
        ? new InProcessAgent(connect, { keepAlive: true, maxSockets })
        : secure
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets,
            ca: config.caPem,
            cert: config.clientCertPem,
            key: config.clientKeyPem,
            rejectUnauthorized: !config.insecureSkipTlsVerify,
          })
        : new HttpAgent({ keepAlive: true, maxSockets });
    // Bursts (hundreds of concurrent bindings or creates) queue for a connection instead of each
    // paying for a new TLS handshake.
    this.agent = newAgent(maxRequestSockets);
    this.watchAgent = newAgent(Infinity);
    this.headers = { accept: 'application/json', 'user-agent': config.userAgent ?? 'capstan-client' };
    if (config.token) this.headers.authorization = `Bearer ${config.token}`;
  }

  static async fromKubeconfig(path: string, context?: string): Promise<ApiClient> {
    return new ApiClient(await loadKubeconfig(path, context));
  }

  /** Closes idle keep-alive connections; in-flight requests and watches end with an error. */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  // --- verbs -------------------------------------------------------------------------------------

  get<T = ApiObject>(r: ResourceRef, name: string, opts: { namespace?: string; subresource?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.request<T>('GET', resourcePath(r, { namespace: opts.namespace, name, subresource: opts.subresource }), { signal: opts.signal });
  }

  list<T = ApiObject>(r: ResourceRef, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { namespace, signal, ...q } = opts;
    return this.request<ObjectList<T>>('GET', resourcePath(r, { namespace }), { query: q, signal });
  }

  /** Creates `obj` (in `obj.metadata.namespace` for namespaced resources unless `namespace` is given). */
  create<T extends ApiObject = ApiObject>(r: ResourceRef, obj: T, opts: WriteOptions & { namespace?: string } = {}): Promise<T> {
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    return this.request<T>('POST', resourcePath(r, { namespace }), { body: obj, query: writeQuery(opts), signal: opts.signal });
  }

  /** Replaces `obj` (PUT); a stale `metadata.resourceVersion` fails with 409 Conflict. `subresource` e.g. `finalize`. */
  update<T extends ApiObject = ApiObject>(r: ResourceRef, obj: T, opts: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const path = resourcePath(r, { namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '', subresource: opts.subresource });
    return this.request<T>('PUT', path, { body: obj, query: writeQuery(opts), signal: opts.signal });
  }

  /** PUT to the `/status` subresource. */
  updateStatus<T extends ApiObject = ApiObject>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.update(r, obj, { ...opts, subresource: 'status' });
  }

  /** PATCH with the given patch type; `apply` needs `fieldManager` (server-side apply). */
  patch<T = ApiObject>(
    r: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: WriteOptions & { namespace?: string; subresource?: string; force?: boolean } = {},
  ): Promise<T> {
    const query: RequestOptions['query'] = writeQuery(opts);
    if (opts.force !== undefined) query.force = opts.force;
    return this.request<T>('PATCH', resourcePath(r, { namespace: opts.namespace, name, subresource: opts.subresource }), {
      body: patch,
      contentType: patchContentType[type],
      query,
      signal: opts.signal,
    });
  }

  /** DELETE one object; returns what the server returned (the object while finalizers run, or a Status). */
  delete<T = ApiObject>(r: ResourceRef, name: string, opts: DeleteOptions = {}): Promise<T> {
    return this.request<T>('DELETE', resourcePath(r, { namespace: opts.namespace, name }), {
      body: deleteBody(opts),
      query: opts.dryRun ? { dryRun: 'All' } : undefined,
      signal: opts.signal,
    });
  }

  /** DELETE on a collection: every object matching the selectors (in `namespace`). */
  deleteCollection<T = ApiObject>(r: ResourceRef, opts: DeleteOptions & Omit<ListOptions, 'namespace' | 'signal'> = {}): Promise<ObjectList<T>> {
    const { namespace, propagationPolicy, gracePeriodSeconds, preconditions, dryRun, signal, ...list } = opts;
    const query: RequestOptions['query'] = { ...list };
    if (dryRun) query.dryRun = 'All';
    return this.request<ObjectList<T>>('DELETE', resourcePath(r, { namespace }), {
      body: deleteBody({ propagationPolicy, gracePeriodSeconds, preconditions }),
      query,
      signal,
    });
  }

  /**
   * A watch stream. Iteration yields events until the server ends the stream (e.g. `timeoutSeconds`)
   * or `signal` aborts (then it just ends). Leaving the loop early closes the connection. A failed
   * start throws the server's StatusError; ERROR events are yielded, not thrown.
   */
  async *watch<T = ApiObject>(r: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const { namespace, signal, ...q } = opts;
    let res: IncomingMessage;
    try {
      res = await this.send('GET', resourcePath(r, { namespace }), { query: { ...q, watch: true }, signal }, 0, this.watchAgent);
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    if (res.statusCode !== 200) throw statusErrorFromResponse(res.statusCode ?? 0, await readBody(res));
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
      if (buf.trim()) yield JSON.parse(buf) as WatchEvent<T>;
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    } finally {
      res.destroy();
    }
  }

  // --- raw requests ------------------------------------------------------------------------------

  /** Any JSON request by path (discovery documents, custom subresources); throws StatusError on failure. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts, defaultRequestTimeoutMs);
    const body = await readBody(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw statusErrorFromResponse(code, body);
    return (body ? JSON.parse(body) : undefined) as T;
  }

  private send(method: string, path: string, opts: RequestOptions, timeoutMs: number, agent = this.agent): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...this.headers };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const doRequest = url.protocol === 'https:' && !this.config.connect ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = doRequest(url, { method, headers, agent, signal: opts.signal }, resolve);
      req.on('error', reject);
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url.pathname}: no response within ${timeoutMs} ms`)));
      req.end(payload);
    });
  }
}

function writeQuery(opts: WriteOptions): Record<string, string | number | boolean | undefined> {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation };
}

function deleteBody(opts: Pick<DeleteOptions, 'propagationPolicy' | 'gracePeriodSeconds' | 'preconditions'>): Record<string, unknown> | undefined {
  if (opts.propagationPolicy === undefined && opts.gracePeriodSeconds === undefined && opts.preconditions === undefined) return undefined;
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.propagationPolicy !== undefined) body.propagationPolicy = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.preconditions !== undefined) body.preconditions = opts.preconditions;
  return body;
}

async function readBody(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let s = '';
  for await (const chunk of res as AsyncIterable<string>) s += chunk;
  return s;
}
