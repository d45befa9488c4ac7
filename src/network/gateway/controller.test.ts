import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { ResourceRef } from '../../client/resource-path.js';
import { FakeClock } from '../../client/clock.js';
import type { ControllerContext } from '../../controllers/context.js';
import type { EventRecorder } from '../../controllers/events.js';
import { createLogger } from '../../util/logger.js';
import type { Listener } from '../l7/route-table.js';
import { createGatewayController } from './controller.js';

type Handler = { onAdd?: (o: ApiObject) => void; onUpdate?: (o: ApiObject, n: ApiObject) => void; onDelete?: (o: ApiObject) => void };

/** An informer over a map, with the parts the controller uses. */
class FakeInformer {
  readonly items = new Map<string, ApiObject>();
  readonly handlers: Handler[] = [];
  key = (o: ApiObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);
  async start(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
  }
  async waitForSync(): Promise<boolean> {
    return true;
  }
  get(k: string) {
    return this.items.get(k);
  }
  list() {
    return [...this.items.values()];
  }
  addEventHandler(h: Handler) {
    this.handlers.push(h);
    for (const o of this.items.values()) h.onAdd?.(o);
    return () => {};
  }
  put(o: ApiObject) {
    const old = this.items.get(this.key(o));
    this.items.set(this.key(o), o);
    for (const h of this.handlers) old ? h.onUpdate?.(old, o) : h.onAdd?.(o);
  }
}

test('the controller creates its GatewayClass, writes statuses and hands changed listeners to onTable', async () => {
  const informers = new Map<string, FakeInformer>();
  const informerFor = (ref: ResourceRef) => {
    const k = `${ref.group}/${ref.plural}`;
    if (!informers.has(k)) informers.set(k, new FakeInformer());
    return informers.get(k)!;
  };
  const statusWrites: string[] = [];
  const client = {
    async create(ref: ResourceRef, obj: ApiObject) {
      const created = { ...obj, metadata: { ...obj.metadata, generation: 1 } };
      informerFor(ref).put(created);
      return created;
    },
    async updateStatus(ref: ResourceRef, obj: ApiObject) {
      statusWrites.push(`${ref.plural}/${obj.metadata.name}`);
      informerFor(ref).put(obj);
      return obj;
    },
  };
  const tables: Listener[][] = [];
  const ctx: ControllerContext = {
    client: client as unknown as ApiClient,
    informers: { informerFor } as unknown as SharedInformerFactory,
    logger: createLogger('error', 'test', () => {}),
    clock: new FakeClock(Date.parse('2026-01-01T00:00:00Z')),
    recorder: {} as EventRecorder,
  };
  const controller = createGatewayController(ctx, { bindAddress: '0.0.0.0', statusAddress: '192.0.2.10', onTable: (l) => tables.push(l) });
  const gw = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { namespace: 'default', name: 'web', generation: 1 }, spec: { gatewayClassName: 'capstan', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] } };
  informerFor({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true }).put(gw as unknown as ApiObject);
  const stop = new AbortController();
  const running = controller.start(stop.signal);
  try {
    const deadline = Date.now() + 10_000;
    while (!(statusWrites.includes('gateways/web') && statusWrites.includes('gatewayclasses/capstan'))) {
      if (Date.now() > deadline) assert.fail(`statuses not written: ${statusWrites.join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const written = informerFor({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true }).get('default/web') as unknown as { status: { addresses: unknown } };
    assert.deepEqual(written.status.addresses, [{ type: 'IPAddress', value: '192.0.2.10' }]);
    const last = tables.at(-1)!;
    assert.deepEqual(last.map((l) => [l.name, l.address, l.port, l.protocol]), [['gateway/default/web/8080', '0.0.0.0', 8080, 'HTTP']]);
    // Writing a status that is already there does not happen again, nor does an unchanged table.
    const writes = statusWrites.length;
    const tableCount = tables.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(statusWrites.length, writes);
    assert.equal(tables.length, tableCount);
  } finally {
    stop.abort();
    await running;
  }
});

test('a route shadowed by an older one gets one Warning Conflict event while the conflict lasts', async () => {
  const informers = new Map<string, FakeInformer>();
  const informerFor = (ref: ResourceRef) => {
    const k = `${ref.group}/${ref.plural}`;
    if (!informers.has(k)) informers.set(k, new FakeInformer());
    return informers.get(k)!;
  };
  const client = {
    async create(ref: ResourceRef, obj: ApiObject) {
      informerFor(ref).put(obj);
      return obj;
    },
    async updateStatus(ref: ResourceRef, obj: ApiObject) {
      informerFor(ref).put(obj);
      return obj;
    },
  };
  const events: string[] = [];
  const recorder: EventRecorder = { event: (o, type, reason, message) => events.push(`${o.metadata.name} ${type} ${reason}: ${message}`) };
  const ctx: ControllerContext = {
    client: client as unknown as ApiClient,
    informers: { informerFor } as unknown as SharedInformerFactory,
    logger: createLogger('error', 'test', () => {}),
    clock: new FakeClock(Date.parse('2026-01-01T00:00:00Z')),
    recorder,
  };
  const gw = { metadata: { namespace: 'default', name: 'web', generation: 1 }, spec: { gatewayClassName: 'capstan', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] } };
  const httpRoute = (name: string, created: string) => ({
    metadata: { namespace: 'default', name, generation: 1, creationTimestamp: created },
    spec: { parentRefs: [{ name: 'web' }], hostnames: ['a.test'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 's', port: 80 }] }] },
  });
  const routes = informerFor({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', namespaced: true });
  informerFor({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true }).put(gw as unknown as ApiObject);
  routes.put(httpRoute('first', '2026-01-01T00:00:00Z') as unknown as ApiObject);
  routes.put(httpRoute('second', '2026-01-02T00:00:00Z') as unknown as ApiObject);
  const controller = createGatewayController(ctx, { bindAddress: '127.0.0.1' });
  const stop = new AbortController();
  const running = controller.start(stop.signal);
  const shadowed = () => (routes.get('default/second') as unknown as { status?: { parents?: { conditions: { type: string; status: string }[] }[] } }).status?.parents?.[0]?.conditions.find((c) => c.type === 'capstan.io/Shadowed')?.status;
  try {
    const deadline = Date.now() + 10_000;
    while (shadowed() !== 'True' || events.length === 0) {
      if (Date.now() > deadline) assert.fail(`no conflict reported: ${events.join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(events, ['second Warning Conflict: rule 0 match 0 (PathPrefix /) of host a.test is already served by the older HTTPRoute default/first']);
    // Another change recompiles: the same conflict is not recorded again.
    informerFor({ group: '', version: 'v1', plural: 'services', namespaced: true }).put({ metadata: { namespace: 'default', name: 's' }, spec: { ports: [{ port: 80 }] } } as unknown as ApiObject);
    const until = Date.now() + 10_000;
    while ((routes.get('default/first') as unknown as { status?: { parents?: { conditions: { type: string; reason: string }[] }[] } }).status?.parents?.[0]?.conditions.find((c) => c.type === 'ResolvedRefs')?.reason !== 'ResolvedRefs') {
      if (Date.now() > until) assert.fail('the Service was not seen');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(events.length, 1);
  } finally {
    stop.abort();
    await running;
  }
});
