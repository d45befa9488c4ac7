import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from './api-client.js';
import { SharedInformerFactory } from './informer-factory.js';

test('one informer per resource, shared across callers', () => {
  const client = new ApiClient({ server: 'http://127.0.0.1:1' });
  const f = new SharedInformerFactory(client);
  const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true };
  const a = f.informerFor(pods);
  const b = f.informerFor({ ...pods });
  const rs = f.informerFor({ group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true });
  assert.equal(a, b);
  assert.notEqual(a, rs);
  assert.deepEqual(f.resources(), ['/v1/pods', 'apps/v1/replicasets']);
  assert.deepEqual(a.byIndex('namespace', 'x'), []);
  client.close();
});

test('start resolves once the signal aborts, also for informers added later', async () => {
  const client = new ApiClient({ server: 'http://127.0.0.1:1' });
  const f = new SharedInformerFactory(client, { logger: undefined });
  const ac = new AbortController();
  const running = f.start(ac.signal);
  f.informerFor({ group: '', version: 'v1', plural: 'pods', namespaced: true });
  ac.abort();
  await running;
  assert.equal(await f.waitForSync(ac.signal), false);
  client.close();
});
