/**
 * pods/exec, pods/attach and pods/portforward (pkg/registry/core/pod/rest/subresources.go and the
 * pod strategy's ExecLocation / AttachLocation / PortForwardLocation): the request's options are
 * decoded and checked, the container chosen as for pods/log, and the upgraded connection is
 * proxied byte for byte to the node agent that runs the pod (k8s.io/apimachinery's
 * UpgradeAwareHandler), which speaks the streaming protocol (WebSocket or SPDY) itself.
 *
 * Upgrade requests reach the server's 'upgrade' event rather than its request handler;
 * `upgradeResponse` gives them a ServerResponse on their socket so that they pass through the
 * same routing, authentication and error rendering, and lets the handler take the socket over.
 */
import { request as httpsRequest } from 'node:https';
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { StatusError, badRequest, notFoundError } from '../../api/errors.js';
import type { ClientCertificate } from '../auth/tls.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import { nodeEndpoint, type NodeEndpoint } from './node-connection.js';
import { logContainer } from './pod-log.js';

export type ConnectSubresource = 'exec' | 'attach' | 'portforward';

export const isConnectSubresource = (s: string | undefined): s is ConnectSubresource => s === 'exec' || s === 'attach' || s === 'portforward';

/** PodExecOptions / PodAttachOptions as decoded from the query. */
export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  container?: string;
  command: string[];
}

const upgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();

/**
 * A response on an upgrade request's own socket: ordinary answers (errors) are written to it and
 * the connection then closes; a connect handler may instead take the socket over.
 */
export function upgradeResponse(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  socket.on('error', () => undefined);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  upgrades.set(req, { socket, head });
  return res;
}

/** Query booleans as Go's strconv.ParseBool reads them. */
function parseBool(q: URLSearchParams, key: string): boolean | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False', ''].includes(v)) return false;
  throw badRequest(`${key}: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/**
 * Decodes PodExecOptions / PodAttachOptions. As upstream's parameter codec, defaulting runs after
 * the query is read, and it sets stdout and stderr: they are always requested, unless the query
 * is empty (defaulting is then skipped).
 */
export function parseStreamOptions(q: URLSearchParams): StreamOptions {
  const empty = [...q.keys()].length === 0;
  const opts: StreamOptions = {
    stdin: parseBool(q, 'stdin') ?? false,
    stdout: empty ? false : true,
    stderr: empty ? false : true,
    tty: parseBool(q, 'tty') ?? false,
    command: q.getAll('command'),
  };
  parseBool(q, 'stdout');
  parseBool(q, 'stderr');
  const container = q.get('container');
  if (container) opts.container = container;
  return opts;
}

/** The agent's path and query for a connect request (upstream's streamParams names). */
export function agentConnectPath(kind: ConnectSubresource, ns: string, pod: string, container: string | undefined, o: StreamOptions | undefined): string {
  const enc = encodeURIComponent;
  if (kind === 'portforward') return `/portForward/${enc(ns)}/${enc(pod)}`;
  const q = new URLSearchParams();
  if (o!.stdin) q.set('input', '1');
  if (o!.stdout) q.set('output', '1');
  if (o!.stderr) q.set('error', '1');
  if (o!.tty) q.set('tty', '1');
  for (const c of o!.command) q.append('command', c);
  const qs = q.toString();
  return `/${kind}/${enc(ns)}/${enc(pod)}/${enc(container!)}${qs ? `?${qs}` : ''}`;
}

/** Headers passed on to the agent: the client's, less its credentials and the hop's own. */
export function forwardedHeaders(req: IncomingMessage, ep: NodeEndpoint): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === 'authorization' || k === 'host' || k === 'content-length' || k === 'transfer-encoding') continue;
    out[k] = v;
  }
  out.host = `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
  const peer = req.socket?.remoteAddress;
  if (peer) out['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;
  return out;
}

export interface PodConnectContext {
  registry: ResourceRegistry;
  /** The client certificate the agents accept; without it connect requests fail with 503. */
  agentClientCert?: ClientCertificate;
}

export async function servePodConnect(req: IncomingMessage, res: ServerResponse, ctx: PodConnectContext, kind: ConnectSubresource, ns: string, name: string, q: URLSearchParams): Promise<void> {
  const opts = kind === 'portforward' ? undefined : parseStreamOptions(q);
  const pod = (await ctx.registry.lookup('', 'v1', 'pods')!.store.get(ns, name)) as unknown as Pod;
  const container = opts ? logContainer(pod, opts.container) : undefined;
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  let node: Node;
  try {
    node = (await ctx.registry.lookup('', 'v1', 'nodes')!.store.get(undefined, nodeName)) as unknown as Node;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) throw notFoundError({ group: '', resource: 'nodes' }, nodeName);
    throw e;
  }
  const ep = nodeEndpoint(node);
  const up = upgrades.get(req);
  if (!up) throw badRequest('Upgrade request required');
  if (!ctx.agentClientCert) throw new StatusError(503, 'ServiceUnavailable', 'the API server has no client certificate for node agents');
  await proxyUpgrade(req, res, up, ep, agentConnectPath(kind, ns, name, container, opts), ctx.agentClientCert);
}

/**
 * Sends the upgrade request to the agent. On 101 the agent's reply goes to the client and the two
 * sockets are joined; any other answer is passed on as it came.
 */
function proxyUpgrade(req: IncomingMessage, res: ServerResponse, client: { socket: Duplex; head: Buffer }, ep: NodeEndpoint, path: string, cert: ClientCertificate): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const out = httpsRequest({ host: ep.host, port: ep.port, path, method: req.method, headers: forwardedHeaders(req, ep), cert: cert.certPem, key: cert.keyPem, rejectUnauthorized: false });
    const onClientGone = () => out.destroy();
    client.socket.once('close', onClientGone);
    out.on('upgrade', (answer: IncomingMessage, agent: Duplex, agentHead: Buffer) => {
      client.socket.off('close', onClientGone);
      res.detachSocket(client.socket as Socket);
      const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage ?? ''}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
      client.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (agentHead.length) client.socket.write(agentHead);
      if (client.head.length) agent.write(client.head);
      join(client.socket, agent);
      resolve();
    });
    out.on('response', (answer: IncomingMessage) => {
      client.socket.off('close', onClientGone);
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('error', () => reject(new StatusError(500, '', 'error reading the node agent response')));
      answer.on('end', () => {
        res.statusCode = answer.statusCode ?? 500;
        for (const h of ['content-type', 'x-content-type-options', 'x-accepted-stream-protocol-versions']) {
          const v = answer.headers[h];
          if (v !== undefined) res.setHeader(h, v);
        }
        res.end(Buffer.concat(chunks));
        resolve();
      });
    });
    out.on('error', (e) => {
      client.socket.off('close', onClientGone);
      if (client.socket.destroyed) return resolve();
      reject(new StatusError(500, '', `error dialing backend: ${e.message}`));
    });
    out.end();
  });
}

/** Copies both ways until either side ends; an error or close on one ends the other. */
function join(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const stop = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', stop);
  b.on('error', stop);
  a.on('close', stop);
  b.on('close', stop);
}
