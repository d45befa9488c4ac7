/**
 * The resource metrics API, metrics.k8s.io/v1beta1 `nodes` (NodeMetrics) and `pods` (PodMetrics,
 * namespaced), built into the API server where upstream runs metrics-server behind the
 * aggregator (sigs.k8s.io/metrics-server pkg/api): get and list with label selectors and the
 * metadata field selectors upstream's generic server converts (metadata.name,
 * metadata.namespace), lists across all namespaces, and Table output. Node and pod objects come
 * from the registry; usage from the agents' summaries (summary-scraper.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { stringify } from 'yaml';
import { badRequest, isStatusError, methodNotSupported, notFoundError, notFoundPath } from '../../api/errors.js';
import { parseFieldSelector, type FieldSelector } from '../../api/fields.js';
import type { ApiObject } from '../../api/object.js';
import type { Logger } from '../../util/logger.js';
import type { HandlerGroup } from '../http/discovery.js';
import { negotiate } from '../http/negotiation.js';
import type { NodeConnector } from '../http/node-connection.js';
import type { ResourceRequest } from '../http/request-info.js';
import { sendJson, sendRaw } from '../http/respond.js';
import { listObjects, ObjectFilter } from '../registry/list.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import type { ParsedSelector, RegistryServices } from '../registry/services.js';
import { METRICS_GROUP, METRICS_VERSION, metricsList, metricsTable, nodeMetrics, podMetrics, type BuildOptions, type NodeMetrics, type NodeSummary, type PodMetrics } from './metrics-objects.js';
import { agentSummaryFetch, SummaryCache, type SummaryFetch } from './summary-scraper.js';

/** Where the metrics API reads Node and Pod objects; gets throw upstream's 404 Status errors. */
export interface ObjectSource {
  getNode(name: string): Promise<Node>;
  getPod(namespace: string, name: string): Promise<Pod>;
  listNodes(): Promise<Node[]>;
  /** Every pod of `namespace`, or of all namespaces. */
  listPods(namespace: string | undefined): Promise<Pod[]>;
}

/** Reads the objects from the API server's own registry (a consistent read of storage, as a LIST does). */
export function registrySource(registry: ResourceRegistry, services: RegistryServices): ObjectSource {
  const entry = (resource: 'nodes' | 'pods') => {
    const e = registry.lookup('', 'v1', resource);
    if (!e) throw notFoundPath();
    return e;
  };
  const get = async (resource: 'nodes' | 'pods', namespace: string | undefined, name: string): Promise<ApiObject> => {
    try {
      return await entry(resource).store.get(namespace, name);
    } catch (e) {
      // As metrics-server's listers word it.
      if (isStatusError(e) && e.code === 404) throw notFoundError({ group: '', resource: resource === 'nodes' ? 'node' : 'pod' }, name);
      throw e;
    }
  };
  const list = async (resource: 'nodes' | 'pods', namespace: string | undefined): Promise<ApiObject[]> => {
    const e = entry(resource);
    const page = await listObjects(e.def, { svc: services, serve: (j) => j, parse: (j) => JSON.parse(j) as ApiObject }, { namespace }, new ObjectFilter(e.def, services));
    return page.items.map((j) => JSON.parse(j) as ApiObject);
  };
  return {
    getNode: async (name) => (await get('nodes', undefined, name)) as unknown as Node,
    getPod: async (ns, name) => (await get('pods', ns, name)) as unknown as Pod,
    listNodes: async () => (await list('nodes', undefined)) as unknown as Node[],
    listPods: async (ns) => (await list('pods', ns)) as unknown as Pod[],
  };
}

export interface MetricsApiOptions {
  objects: ObjectSource;
  /** Parses label selectors with the API server's 400 messages. */
  parseLabelSelector: (s: string) => ParsedSelector;
  connector: NodeConnector;
  logger?: Logger;
  now?: () => number;
  /** The span agents take CPU rates over: their sampling period (default 10 s). */
  windowMs?: number;
  /** How long a node's summary is reused (default 10 s). */
  cacheTtlMs?: number;
  /** How long one agent may take to answer (default 5 s). */
  scrapeTimeoutMs?: number;
  /** Replaces fetching from agents (tests). */
  fetch?: SummaryFetch;
}

/** The resources as discovery lists them (metrics-server serves get and list). */
const resources = [
  { name: 'nodes', kind: 'NodeMetrics', namespaced: false },
  { name: 'pods', kind: 'PodMetrics', namespaced: true },
] as const;

export const metricsDiscovery: HandlerGroup = {
  group: METRICS_GROUP,
  versions: [METRICS_VERSION],
  legacyResources: () => resources.map((r) => ({ name: r.name, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list'] })),
  aggregatedResources: () =>
    resources.map((r) => ({
      resource: r.name,
      responseKind: { group: METRICS_GROUP, version: METRICS_VERSION, kind: r.kind },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: '',
      verbs: ['get', 'list'],
    })),
};

/** The object fields upstream's field selectors can name on these kinds (DefaultMetaV1FieldSelectorConversion). */
export function parseMetricsFieldSelector(s: string): FieldSelector | undefined {
  if (!s) return undefined;
  const r = parseFieldSelector(s);
  if (!r.ok) throw badRequest(r.error);
  for (const t of r.selector.requirements()) if (t.field !== 'metadata.name' && t.field !== 'metadata.namespace') throw badRequest(`field label not supported: ${t.field}`);
  return r.selector.empty() ? undefined : r.selector;
}

/** Objects matching the selectors, ordered as upstream lists them (namespace, then name). */
export function selectObjects<T extends { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }>(
  objs: readonly T[],
  labels: ParsedSelector | undefined,
  fields: FieldSelector | undefined,
  namespaced: boolean,
): T[] {
  return objs
    .filter((o) => !labels || labels.matches(o.metadata?.labels ?? {}))
    .filter((o) => !fields || fields.matches({ 'metadata.name': o.metadata?.name ?? '', ...(namespaced ? { 'metadata.namespace': o.metadata?.namespace ?? '' } : {}) }))
    .sort((a, b) => (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

export class MetricsApi {
  private readonly cache: SummaryCache;
  private readonly now: () => number;

  constructor(private readonly opts: MetricsApiOptions) {
    this.now = opts.now ?? Date.now;
    this.cache = new SummaryCache({ fetch: opts.fetch ?? agentSummaryFetch(opts.connector), ttlMs: opts.cacheTtlMs, timeoutMs: opts.scrapeTimeoutMs, now: this.now, logger: opts.logger });
  }

  async handle(req: IncomingMessage, res: ServerResponse, info: ResourceRequest, q: URLSearchParams): Promise<void> {
    const r = resources.find((x) => x.name === info.resource);
    if (info.version !== METRICS_VERSION || !r || info.subresource) throw notFoundPath();
    if (!r.namespaced && info.namespace !== undefined) throw notFoundPath();
    if (info.verb !== 'get' && info.verb !== 'list') throw methodNotSupported({ group: METRICS_GROUP, resource: r.name }, info.verb);
    const build: BuildOptions = { now: this.now(), windowMs: this.opts.windowMs ?? 10_000 };
    let body: NodeMetrics | PodMetrics | ReturnType<typeof metricsList>;
    if (info.verb === 'get') {
      if (r.namespaced && !info.namespace) throw notFoundPath();
      body = r.name === 'nodes' ? await this.getNode(info.name!, build) : await this.getPod(info.namespace!, info.name!, build);
    } else {
      const labels = q.get('labelSelector') ? this.opts.parseLabelSelector(q.get('labelSelector')!) : undefined;
      const fields = parseMetricsFieldSelector(q.get('fieldSelector') ?? '');
      body = r.name === 'nodes' ? metricsList('NodeMetricsList', await this.listNodes(labels, fields, build)) : metricsList('PodMetricsList', await this.listPods(info.namespace, labels, fields, build));
    }
    this.render(req, res, body);
  }

  private render(req: IncomingMessage, res: ServerResponse, body: NodeMetrics | PodMetrics | ReturnType<typeof metricsList>): void {
    const how = negotiate(req.headers.accept);
    if (how.kind === 'table') return sendJson(res, 200, metricsTable('items' in body ? body.items : [body], how.version));
    if (how.kind === 'yaml') return sendRaw(res, 200, stringify(body), 'application/yaml');
    sendJson(res, 200, body);
  }

  private async getNode(name: string, build: BuildOptions): Promise<NodeMetrics> {
    const node = await this.opts.objects.getNode(name);
    const summaries = await this.cache.summaries([node]);
    const m = nodeMetrics(node, summaries.get(name), build);
    if (!m) throw notFoundError({ group: METRICS_GROUP, resource: 'nodemetrics' }, name);
    return m;
  }

  private async getPod(namespace: string, name: string, build: BuildOptions): Promise<PodMetrics> {
    const pod = await this.opts.objects.getPod(namespace, name);
    const summaries = await this.summariesFor([pod]);
    const m = podMetrics(pod, summaries.get(pod.spec?.nodeName ?? ''), build);
    if (!m) throw notFoundError({ group: METRICS_GROUP, resource: 'podmetrics' }, `${namespace}/${name}`);
    return m;
  }

  private async listNodes(labels: ParsedSelector | undefined, fields: FieldSelector | undefined, build: BuildOptions): Promise<NodeMetrics[]> {
    const nodes = selectObjects(await this.opts.objects.listNodes(), labels, fields, false);
    const summaries = await this.cache.summaries(nodes);
    return nodes.map((n) => nodeMetrics(n, summaries.get(n.metadata?.name ?? ''), build)).filter((m): m is NodeMetrics => !!m);
  }

  private async listPods(namespace: string | undefined, labels: ParsedSelector | undefined, fields: FieldSelector | undefined, build: BuildOptions): Promise<PodMetrics[]> {
    const pods = selectObjects(await this.opts.objects.listPods(namespace), labels, fields, true).filter((p) => p.status?.phase === 'Running');
    const summaries = await this.summariesFor(pods);
    return pods.map((p) => podMetrics(p, summaries.get(p.spec?.nodeName ?? ''), build)).filter((m): m is PodMetrics => !!m);
  }

  /** The summaries of the nodes that run `pods`. */
  private async summariesFor(pods: readonly Pod[]): Promise<Map<string, NodeSummary>> {
    const wanted = new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n));
    if (!wanted.size) return new Map();
    const nodes = (await this.opts.objects.listNodes()).filter((n) => wanted.has(n.metadata?.name ?? ''));
    return this.cache.summaries(nodes);
  }
}
