import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError, notFoundError } from '../../api/errors.js';
import { apiSelectors } from '../machinery/selectors.js';
import type { NodeConnector } from '../http/node-connection.js';
import type { ResourceRequest } from '../http/request-info.js';
import { MetricsApi, metricsDiscovery, parseMetricsFieldSelector, selectObjects, type ObjectSource } from './metrics-api.js';
import type { NodeSummary } from './metrics-objects.js';
import { isNodeReady, parseSummary, SummaryCache } from './summary-scraper.js';

const NOW = Date.parse('2024-01-01T12:00:30Z');
const at = '2024-01-01T12:00:20Z';
const ready = (name: string, isReady = true, labels: Record<string, string> = {}): Node => ({
  metadata: { name, labels },
  status: { conditions: [{ type: 'Ready', status: isReady ? 'True' : 'False' }], addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
});
const pod = (ns: string, name: string, node: string, labels: Record<string, string> = {}, phase = 'Running'): Pod => ({ metadata: { name, namespace: ns, labels }, spec: { nodeName: node, containers: [] }, status: { phase } });
const usage = (cpu: number, mem: number) => ({ cpu: { time: at, usageNanoCores: cpu }, memory: { time: at, workingSetBytes: mem } });
const summaryOf = (pods: Pod[], cpu = 1e9): NodeSummary => ({
  node: { ...usage(cpu, 2 ** 30) },
  pods: pods.map((p) => ({ podRef: { name: p.metadata!.name!, namespace: p.metadata!.namespace! }, containers: [{ name: 'app', ...usage(250_000_000, 4096) }] })),
});

const nodes = [ready('n1', true, { zone: 'a' }), ready('n2', true, { zone: 'b' }), ready('down', false)];
const pods = [pod('default', 'web-1', 'n1', { app: 'web' }), pod('default', 'web-2', 'n2', { app: 'web' }), pod('kube-system', 'dns', 'n1', { app: 'dns' }), pod('default', 'pending', 'n1', {}, 'Pending')];

const objects: ObjectSource = {
  getNode: async (name) => {
    const n = nodes.find((x) => x.metadata?.name === name);
    if (!n) throw notFoundError({ group: '', resource: 'node' }, name);
    return n;
  },
  getPod: async (ns, name) => {
    const p = pods.find((x) => x.metadata?.namespace === ns && x.metadata?.name === name);
    if (!p) throw notFoundError({ group: '', resource: 'pod' }, name);
    return p;
  },
  listNodes: async () => nodes,
  listPods: async (ns) => pods.filter((p) => ns === undefined || p.metadata?.namespace === ns),
};

function api(fetched: string[] = []) {
  return new MetricsApi({
    objects,
    parseLabelSelector: (s) => apiSelectors.parseLabelSelector(s),
    connector: {} as NodeConnector,
    now: () => NOW,
    fetch: async (n) => {
      const name = n.metadata!.name!;
      fetched.push(name);
      if (name === 'n2') return summaryOf(pods.filter((p) => p.spec?.nodeName === 'n2'), 2e9);
      return summaryOf(pods.filter((p) => p.spec?.nodeName === name));
    },
  });
}

/** Calls the handler and returns the status code and parsed body. */
async function call(m: MetricsApi, info: Partial<ResourceRequest> & { resource: string }, query = '', accept?: string): Promise<{ code: number; body: any }> {
  let text = '';
  const fake = { headersSent: false, statusCode: 200, setHeader() {}, hasHeader: () => false, end: (b: string) => (text = b) };
  const res = fake as unknown as ServerResponse;
  const req = { headers: accept ? { accept } : {} } as IncomingMessage;
  try {
    await m.handle(req, res, { kind: 'resource', group: 'metrics.k8s.io', version: 'v1beta1', verb: info.name ? 'get' : 'list', ...info } as ResourceRequest, new URLSearchParams(query));
  } catch (e) {
    if (!isStatusError(e)) throw e;
    return { code: e.code, body: e.toStatus() };
  }
  return { code: fake.statusCode, body: JSON.parse(text) };
}

test('list nodes: Ready nodes that answered, sorted, with label and name selectors', async () => {
  const fetched: string[] = [];
  const m = api(fetched);
  const all = await call(m, { resource: 'nodes' });
  assert.equal(all.code, 200);
  assert.equal(all.body.kind, 'NodeMetricsList');
  assert.equal(all.body.apiVersion, 'metrics.k8s.io/v1beta1');
  assert.deepEqual(all.body.items.map((i: any) => [i.metadata.name, i.usage.cpu]), [
    ['n1', '1'],
    ['n2', '2'],
  ]);
  assert.deepEqual(fetched.sort(), ['n1', 'n2']);
  assert.deepEqual((await call(m, { resource: 'nodes' }, 'labelSelector=zone%3Db')).body.items.map((i: any) => i.metadata.name), ['n2']);
  assert.deepEqual((await call(m, { resource: 'nodes' }, 'fieldSelector=metadata.name%3Dn1')).body.items.map((i: any) => i.metadata.name), ['n1']);
  // Within the cache's lifetime the agents are not asked again.
  assert.equal(fetched.length, 2);
});

test('get node: metrics, or NotFound in metrics-server words', async () => {
  const m = api();
  assert.equal((await call(m, { resource: 'nodes', name: 'n1' })).body.usage.memory, '1Gi');
  const missing = await call(m, { resource: 'nodes', name: 'nope' });
  assert.equal(missing.code, 404);
  assert.equal(missing.body.message, 'node "nope" not found');
  const down = await call(m, { resource: 'nodes', name: 'down' });
  assert.equal(down.body.message, 'nodemetrics.metrics.k8s.io "down" not found');
});

test('list pods: one namespace or all, Running only, selectors', async () => {
  const m = api();
  assert.deepEqual((await call(m, { resource: 'pods', namespace: 'default' })).body.items.map((i: any) => i.metadata.name), ['web-1', 'web-2']);
  assert.deepEqual((await call(m, { resource: 'pods' })).body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`), ['default/web-1', 'default/web-2', 'kube-system/dns']);
  assert.deepEqual((await call(m, { resource: 'pods' }, 'labelSelector=app%3Ddns')).body.items.map((i: any) => i.metadata.name), ['dns']);
  assert.deepEqual((await call(m, { resource: 'pods' }, 'fieldSelector=metadata.namespace!%3Ddefault')).body.items.map((i: any) => i.metadata.name), ['dns']);
  const list = (await call(m, { resource: 'pods', namespace: 'default' }, 'fieldSelector=metadata.name%3Dweb-2')).body;
  assert.equal(list.kind, 'PodMetricsList');
  assert.deepEqual(list.items[0].containers, [{ name: 'app', usage: { cpu: '250m', memory: '4Ki' } }]);
});

test('get pod: metrics, or NotFound', async () => {
  const m = api();
  const web = await call(m, { resource: 'pods', namespace: 'default', name: 'web-1' });
  assert.equal(web.body.kind, 'PodMetrics');
  assert.equal(web.body.timestamp, at);
  assert.equal(web.body.window, '10s');
  assert.equal((await call(m, { resource: 'pods', namespace: 'default', name: 'pending' })).body.message, 'podmetrics.metrics.k8s.io "default/pending" not found');
  assert.equal((await call(m, { resource: 'pods', namespace: 'default', name: 'nope' })).body.message, 'pod "nope" not found');
});

test('bad requests: unsupported field, bad label selector, verbs and paths', async () => {
  const m = api();
  const field = await call(m, { resource: 'pods' }, 'fieldSelector=spec.nodeName%3Dn1');
  assert.equal(field.code, 400);
  assert.equal(field.body.message, 'field label not supported: spec.nodeName');
  assert.equal((await call(m, { resource: 'pods' }, 'labelSelector=a%20b')).code, 400);
  assert.equal((await call(m, { resource: 'pods', verb: 'watch' })).code, 405);
  assert.equal((await call(m, { resource: 'nodes', name: 'n1', verb: 'delete' })).code, 405);
  assert.equal((await call(m, { resource: 'nodes', namespace: 'default' })).code, 404);
  assert.equal((await call(m, { resource: 'services' })).code, 404);
  assert.equal((await call(m, { resource: 'pods', name: 'web-1' })).code, 404);
  assert.equal((await call(m, { resource: 'pods', name: 'web-1', namespace: 'default', subresource: 'status' })).code, 404);
});

test('Table output when asked for', async () => {
  const t = await call(api(), { resource: 'nodes' }, '', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
  assert.equal(t.body.kind, 'Table');
  assert.deepEqual(t.body.rows.map((r: any) => r.cells), [
    ['n1', '1', '1Gi', '10s'],
    ['n2', '2', '1Gi', '10s'],
  ]);
});

test('selectObjects and parseMetricsFieldSelector', () => {
  const sel = parseMetricsFieldSelector('metadata.name=web-2');
  assert.deepEqual(selectObjects(pods, undefined, sel, true).map((p) => p.metadata?.name), ['web-2']);
  // Nodes have no namespace field: a namespace term compares with "".
  assert.deepEqual(selectObjects(nodes, undefined, parseMetricsFieldSelector('metadata.namespace=x'), false), []);
  assert.equal(parseMetricsFieldSelector(''), undefined);
  assert.throws(() => parseMetricsFieldSelector('status.phase=Running'), /field label not supported: status.phase/);
});

test('discovery lists nodes and pods with get and list', () => {
  assert.deepEqual(metricsDiscovery.legacyResources('v1beta1').map((r) => [r.name, r.kind, r.namespaced, r.verbs]), [
    ['nodes', 'NodeMetrics', false, ['get', 'list']],
    ['pods', 'PodMetrics', true, ['get', 'list']],
  ]);
  assert.deepEqual(metricsDiscovery.aggregatedResources('v1beta1').map((r) => r.scope), ['Cluster', 'Namespaced']);
});

test('SummaryCache: Ready nodes only, failures skipped and remembered, refetch after the TTL or when the agent moved', async () => {
  let now = 0;
  const asked: string[] = [];
  const cache = new SummaryCache({
    now: () => now,
    ttlMs: 10_000,
    fetch: async (n) => {
      asked.push(n.metadata!.name!);
      if (n.metadata?.name === 'n2') throw new Error('connection refused');
      return summaryOf([]);
    },
  });
  const got = await cache.summaries(nodes);
  assert.deepEqual([...got.keys()], ['n1']);
  await cache.summaries(nodes);
  assert.deepEqual(asked, ['n1', 'n2']);
  now = 10_000;
  await cache.summaries(nodes);
  assert.deepEqual(asked, ['n1', 'n2', 'n1', 'n2']);
  const moved = { ...nodes[0]!, status: { ...nodes[0]!.status, daemonEndpoints: { kubeletEndpoint: { Port: 10251 } } } };
  await cache.summaries([moved]);
  assert.equal(asked.length, 5);
  assert.equal(isNodeReady(nodes[2]!), false);
});

test('SummaryCache: a fetch that hangs is cut off by the timeout', async () => {
  const cache = new SummaryCache({ timeoutMs: 20, fetch: (_n, signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))) });
  assert.deepEqual([...(await cache.summaries([nodes[0]!])).keys()], []);
});

test('parseSummary accepts the kubelet shape and drops malformed entries', () => {
  const s = parseSummary(JSON.stringify({ node: { nodeName: 'n1' }, pods: [{ podRef: { name: 'a', namespace: 'd' }, containers: [{ name: 'c' }, 7] }, { nope: 1 }] }));
  assert.equal(s.pods?.length, 1);
  assert.equal(s.pods?.[0]?.containers?.length, 1);
  assert.throws(() => parseSummary('[]'));
  assert.throws(() => parseSummary('{"pods":[]}'));
});
