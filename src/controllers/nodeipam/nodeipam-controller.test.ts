import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../api/object.js';
import { StatusError } from '../../api/errors.js';
import type { ApiClient } from '../../client/api-client.js';
import { realClock } from '../../client/clock.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import { createLogger } from '../../util/logger.js';
import { FakeEventRecorder } from '../events.js';
import { NodeIpamController, type NodeIpamOptions } from './nodeipam-controller.js';

/** A node cache and an API that records the patches (applied to the cache only when asked). */
function world(nodes: Record<string, string | undefined>, opts: NodeIpamOptions = {}) {
  const cache = new Map<string, ApiObject>();
  const put = (name: string, cidr?: string) => cache.set(name, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: cidr ? { podCIDR: cidr, podCIDRs: [cidr] } : {} } as ApiObject);
  for (const [name, cidr] of Object.entries(nodes)) put(name, cidr);
  const patches: { name: string; cidr: string }[] = [];
  const informer = { get: (k: string) => cache.get(k), list: () => [...cache.values()], addEventHandler: () => () => {}, start: async () => {}, waitForSync: async () => true };
  const client = {
    patch: async (_r: unknown, name: string, body: { spec: { podCIDR: string } }) => {
      if (!cache.has(name)) throw new StatusError(404, 'NotFound', `nodes "${name}" not found`);
      patches.push({ name, cidr: body.spec.podCIDR });
      return {};
    },
  };
  const recorder = new FakeEventRecorder();
  const ctx = { client: client as unknown as ApiClient, informers: { informerFor: () => informer } as unknown as SharedInformerFactory, logger: createLogger('error'), clock: realClock, recorder };
  const ctl = new NodeIpamController(ctx, opts);
  const signal = new AbortController().signal;
  return { ctl, cache, put, patches, recorder, sync: (name: string) => ctl.reconcile(name, signal) };
}

describe('node IPAM controller', () => {
  test('gives each node without a pod CIDR the lowest free /24, never one in use or in flight', async () => {
    const w = world({ n1: '10.42.0.0/24', n2: undefined, n3: undefined });
    await w.sync('n1');
    await w.sync('n2');
    await w.sync('n3'); // before the cache shows n2's
    assert.deepEqual(w.patches, [
      { name: 'n2', cidr: '10.42.1.0/24' },
      { name: 'n3', cidr: '10.42.2.0/24' },
    ]);
    // A retry of an unseen allocation asks for the same subnet again.
    await w.sync('n2');
    assert.deepEqual(w.patches.at(-1), { name: 'n2', cidr: '10.42.1.0/24' });
  });

  test('a restarted controller rebuilds from the nodes; a deleted node frees its subnet', async () => {
    const w = world({ n1: '10.42.0.0/24', n2: '10.42.1.0/24', n3: undefined });
    await w.sync('n3');
    assert.deepEqual(w.patches, [{ name: 'n3', cidr: '10.42.2.0/24' }]);
    w.put('n3', '10.42.2.0/24');
    await w.sync('n3');
    w.cache.delete('n1');
    await w.sync('n1');
    w.put('n4');
    await w.sync('n4');
    assert.deepEqual(w.patches.at(-1), { name: 'n4', cidr: '10.42.0.0/24' });
  });

  test('CIDRNotAvailable (once) when the cluster CIDR is exhausted; a freed subnet is then given', async () => {
    const w = world({ a: '10.42.0.0/24', b: '10.42.1.0/24', c: undefined }, { clusterCidr: '10.42.0.0/23', nodeCidrMaskSize: 24 });
    await w.sync('c');
    await w.sync('c');
    assert.deepEqual(w.patches, []);
    assert.deepEqual(w.recorder.events, [{ object: 'c', type: 'Normal', reason: 'CIDRNotAvailable', message: 'Node c status is now: CIDRNotAvailable' }]);
    w.cache.delete('a');
    await w.sync('c');
    assert.deepEqual(w.patches, [{ name: 'c', cidr: '10.42.0.0/24' }]);
  });

});
