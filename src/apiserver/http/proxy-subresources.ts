/**
 * The `proxy` subresources of pods, services and nodes (upstream's pod/service/node
 * ResourceLocation + UpgradeAwareHandler): `.../pods/[scheme:]name[:port]/proxy/<path>` reaches the
 * pod's IP, `.../services/[scheme:]name[:port]/proxy/<path>` one ready endpoint of the service,
 * `.../nodes/[scheme:]name[:port]/proxy/<path>` the node's agent (HTTPS with the API server's
 * client certificate). The request (method, headers less the caller's credentials and hop-by-hop
 * ones, body) is streamed to the target and the answer streamed back. This is what `kubectl proxy`
 * and `kubectl get --raw` use. Loopback pod addresses are allowed (host network mode on a
 * loopback-bound node), which upstream refuses.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Endpoints, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { StatusError, badRequest } from '../../api/errors.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import type { ClientCertificate } from '../auth/tls.js';
import { nodeEndpoint } from './node-connection.js';

export const proxyResources = new Set(['pods', 'services', 'nodes']);

/** `[scheme:]name[:port]` as upstream's net.SplitSchemeNamePort. */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else return undefined;
  if (!name || (scheme && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme, name, port };
}

/** Headers never passed on: hop-by-hop ones and the caller's credentials (the API server consumed them). */
const dropped = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'authorization', 'host']);

export interface ProxyTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Client certificate for node agents. */
  cert?: ClientCertificate;
}

interface ProxyContext {
  registry: ResourceRegistry;
  agentClientCert?: ClientCertificate;
}

async function getObject<T>(registry: ResourceRegistry, plural: string, ns: string | undefined, name: string): Promise<T> {
  const entry = registry.lookup('', 'v1', plural)!;
  return (await entry.store.get(ns, name)) as unknown as T;
}

/** Where a pods/proxy request goes: the pod IP at the given port, else its first declared container port. */
export function podTarget(pod: Pod, scheme: string, port: string): ProxyTarget {
  const ip = pod.status?.podIP;
  if (!ip) throw badRequest(`pod ${pod.metadata?.name} does not have an IP address yet`);
  let p: number | undefined = port ? Number(port) : (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? [])[0]?.containerPort;
  if (port && !/^\d+$/.test(port)) {
    // A named container port.
    p = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((cp) => cp.name === port)?.containerPort;
    if (p === undefined) throw badRequest(`no such port ${JSON.stringify(port)} on pod ${pod.metadata?.name}`);
  }
  if (!p) throw badRequest(`pod ${pod.metadata?.name} has no port to proxy to: name one as ${pod.metadata?.name}:<port>`);
  return { scheme: scheme === 'https' ? 'https' : 'http', host: ip, port: p };
}

/**
 * Where a services/proxy request goes (upstream service ResourceLocation): a random ready address
 * of the Endpoints at the port whose name is `port` (or the only port when none is named).
 */
export function serviceTarget(svc: Service, endpoints: Endpoints | undefined, scheme: string, port: string, random = Math.random): ProxyTarget {
  const name = svc.metadata?.name ?? '';
  // A service port given by number proxies to the endpoint port of the service port with that number.
  let portName = port;
  if (/^\d+$/.test(port)) {
    const sp = (svc.spec?.ports ?? []).find((p) => String(p.port) === port);
    if (!sp) throw new StatusError(503, 'ServiceUnavailable', `no service port ${port} found for service "${name}"`);
    portName = sp.name ?? '';
  }
  const candidates: ProxyTarget[] = [];
  for (const ss of endpoints?.subsets ?? []) {
    const ep = (ss.ports ?? []).find((p) => (p.name ?? '') === portName) ?? (!portName && (ss.ports ?? []).length === 1 ? ss.ports![0] : undefined);
    if (!ep) continue;
    for (const a of ss.addresses ?? []) candidates.push({ scheme: scheme === 'https' ? 'https' : 'http', host: a.ip, port: ep.port });
  }
  if (!candidates.length) throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
  return candidates[Math.floor(random() * candidates.length)];
}

/** Where a nodes/proxy request goes: the agent's endpoint over HTTPS, or the named port. */
export function nodeTarget(node: Node, scheme: string, port: string, cert: ClientCertificate | undefined): ProxyTarget {
  const ep = nodeEndpoint(node);
  const p = port ? Number(port) : ep.port;
  if (!Number.isInteger(p) || p <= 0 || p > 65535) throw badRequest(`invalid port ${JSON.stringify(port)}`);
  const useTls = scheme ? scheme === 'https' : p === ep.port;
  return { scheme: useTls ? 'https' : 'http', host: ep.host, port: p, cert: useTls ? cert : undefined };
}

export async function serveProxy(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, resource: string, ns: string | undefined, id: string, proxyPath: string, query: string): Promise<void> {
  const parsed = splitSchemeNamePort(id);
  if (!parsed) throw badRequest(`invalid request ${JSON.stringify(id)}`);
  const { scheme, name, port } = parsed;
  let target: ProxyTarget;
  if (resource === 'pods') target = podTarget(await getObject<Pod>(ctx.registry, 'pods', ns, name), scheme, port);
  else if (resource === 'services') {
    const svc = await getObject<Service>(ctx.registry, 'services', ns, name);
    const eps = await getObject<Endpoints>(ctx.registry, 'endpoints', ns, name).catch(() => undefined);
    target = serviceTarget(svc, eps, scheme, port);
  } else target = nodeTarget(await getObject<Node>(ctx.registry, 'nodes', undefined, name), scheme, port, ctx.agentClientCert);
  // Checked once the target resolved (a missing object is still a 404).
  if (proxyPath === '' && (req.method === 'GET' || req.method === 'HEAD')) {
    // As upstream: the root of a proxied target is always addressed with a trailing slash.
    res.writeHead(301, { Location: `${req.url?.split('?')[0]}/${query ? `?${query}` : ''}` });
    res.end();
    return;
  }
  await forward(req, res, target, `${proxyPath || '/'}${query ? `?${query}` : ''}`);
}

/** Streams the request to the target and its answer back; a failed connection is a 503 Status. */
function forward(req: IncomingMessage, res: ServerResponse, t: ProxyTarget, path: string): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !dropped.has(k)) headers[k] = v;
  headers.host = t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
  const opts = { host: t.host, port: t.port, path, method: req.method, headers };
  return new Promise<void>((resolve, reject) => {
    const onResponse = (up: IncomingMessage) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !dropped.has(k)) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', () => {
        res.destroy();
        resolve();
      });
    };
    const upstream =
      t.scheme === 'https'
        ? httpsRequest({ ...opts, rejectUnauthorized: false, cert: t.cert?.certPem, key: t.cert?.keyPem }, onResponse)
        : httpRequest(opts, onResponse);
    upstream.on('error', (e) => {
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(new StatusError(503, 'ServiceUnavailable', `error trying to reach service: ${e.message}`));
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}
