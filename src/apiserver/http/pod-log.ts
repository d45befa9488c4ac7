/**
 * GET pods/{name}/log (pkg/registry/core/pod/rest/log.go): validates the PodLogOptions, picks the
 * container as upstream does, and streams the log from the node agent that runs the pod.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { StatusError, badRequest, invalidError, notFoundError } from '../../api/errors.js';
import type { FieldError } from '../../api/field-errors.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import { type NodeConnector, nodeEndpoint } from './node-connection.js';

export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
}

const bool = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1';

/** Parses and validates the query as upstream's ValidatePodLogOptions; throws 400/422 Status errors. */
export function parsePodLogOptions(q: URLSearchParams, podName: string): PodLogOptions {
  const int = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw badRequest(`${k}: invalid value ${JSON.stringify(v)}: must be an integer`);
    return Number(v);
  };
  const opts: PodLogOptions = { follow: bool(q, 'follow'), previous: bool(q, 'previous'), timestamps: bool(q, 'timestamps') };
  const container = q.get('container');
  if (container) opts.container = container;
  opts.sinceSeconds = int('sinceSeconds');
  opts.tailLines = int('tailLines');
  opts.limitBytes = int('limitBytes');
  const since = q.get('sinceTime');
  if (since) {
    if (Number.isNaN(Date.parse(since))) throw badRequest(`sinceTime: invalid value ${JSON.stringify(since)}: must be an RFC 3339 time`);
    opts.sinceTime = since;
  }
  const errs: FieldError[] = [];
  if (opts.tailLines !== undefined && opts.tailLines < 0) errs.push({ type: 'FieldValueInvalid', field: 'tailLines', value: opts.tailLines, detail: 'must be greater than or equal to 0' });
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) errs.push({ type: 'FieldValueInvalid', field: 'limitBytes', value: opts.limitBytes, detail: 'must be greater than 0' });
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) errs.push({ type: 'FieldValueForbidden', field: '', detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
  else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) errs.push({ type: 'FieldValueInvalid', field: 'sinceSeconds', value: opts.sinceSeconds, detail: 'must be greater than 0' });
  if (errs.length) throw invalidError({ group: '', kind: 'PodLogOptions' }, podName, errs);
  return opts;
}

const nameList = (names: string[]) => `[${names.join(' ')}]`;

/** The container whose log is wanted (upstream's ValidateContainer): explicit, or the only one. */
export function logContainer(pod: Pod, requested: string | undefined): string {
  const regular = (pod.spec?.containers ?? []).map((c) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const ephemeral = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  const name = pod.metadata?.name ?? '';
  if (!requested) {
    if (regular.length === 1) return regular[0]!;
    let msg = `a container name must be specified for pod ${name}, choose one of: ${nameList(regular)}`;
    if (init.length) msg += ` or one of the init containers: ${nameList(init)}`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: ${nameList(ephemeral)}`;
    throw badRequest(msg);
  }
  if (![...regular, ...init, ...ephemeral].includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/** The agent's path for the log, with the options as query parameters (the kubelet's /containerLogs). */
export function agentLogPath(ns: string, pod: string, container: string, o: PodLogOptions): string {
  const q = new URLSearchParams();
  if (o.follow) q.set('follow', 'true');
  if (o.previous) q.set('previous', 'true');
  if (o.timestamps) q.set('timestamps', 'true');
  if (o.sinceSeconds !== undefined) q.set('sinceSeconds', String(o.sinceSeconds));
  if (o.sinceTime !== undefined) q.set('sinceTime', o.sinceTime);
  if (o.tailLines !== undefined) q.set('tailLines', String(o.tailLines));
  if (o.limitBytes !== undefined) q.set('limitBytes', String(o.limitBytes));
  const qs = q.toString();
  return `/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(pod)}/${encodeURIComponent(container)}${qs ? `?${qs}` : ''}`;
}

export async function servePodLog(req: IncomingMessage, res: ServerResponse, registry: ResourceRegistry, connector: NodeConnector, ns: string, name: string, q: URLSearchParams): Promise<void> {
  const opts = parsePodLogOptions(q, name);
  const pods = registry.lookup('', 'v1', 'pods')!.store;
  const pod = (await pods.get(ns, name)) as unknown as Pod;
  const container = logContainer(pod, opts.container);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) {
    // Not yet on a node: nothing to show, as upstream.
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
    return;
  }
  let node: Node;
  try {
    node = (await registry.lookup('', 'v1', 'nodes')!.store.get(undefined, nodeName)) as unknown as Node;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) throw notFoundError({ group: '', resource: 'nodes' }, nodeName);
    throw e;
  }
  const ac = new AbortController();
  const onClose = () => ac.abort();
  res.on('close', onClose);
  const upstream = await connector.get(nodeEndpoint(node), agentLogPath(ns, name, container, opts), ac.signal);
  const code = upstream.statusCode ?? 500;
  if (code !== 200) {
    // The agent answers errors as Status objects (or text); pass them on with their code.
    let body = '';
    for await (const chunk of upstream) body += chunk;
    res.off('close', onClose);
    try {
      const s = JSON.parse(body) as { kind?: string; reason?: string; message?: string };
      if (s.kind === 'Status') throw new StatusError(code, (s.reason ?? 'BadRequest') as never, s.message ?? body);
    } catch (e) {
      if (e instanceof StatusError) throw e;
    }
    throw new StatusError(code, code === 404 ? 'NotFound' : 'BadRequest', body.trim());
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  upstream.on('data', (chunk: Buffer) => res.write(chunk));
  await new Promise<void>((resolve) => {
    upstream.on('end', resolve);
    upstream.on('error', () => resolve());
    upstream.on('close', resolve);
  });
  res.off('close', onClose);
  res.end();
}
