/**
 * Scenario 9 of examples/ (feature store), run as its README tells a user to: the StatefulSet
 * `feature-store` with volumeClaimTemplates on the default local-path class, its headless Service,
 * data that outlives pod deletion and a scale to zero and back, stable DNS names resolved from
 * another pod; and the common mistake (a StorageClass that does not exist). Sandbox runtime (for
 * volumes) and bridge networking (pods get their own IPs and the cluster DNS); skipped otherwise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sandboxUnavailable } from '../../../src/agent/runtime/sandbox/probe.js';
import { bridgeSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, examplesDir, httpRequest } from './support.js';

const skip = bridgeSkip() || ((await sandboxUnavailable()) ?? false);
if (skip) console.log(`# skipping examples/09-feature-store: ${skip}`);

describe('examples/09-feature-store', { skip, timeout: 300_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'sandbox', network: 'bridge', deleteAll: ['statefulset', 'pods', 'pvc'] });

  const podIP = (name: string) => kc(server, ['get', 'pod', name, '-o', 'jsonpath={.status.podIP}']);
  const nodeEval = (pod: string, script: string) => kc(server, ['exec', pod, '--', 'node', '-e', script]).trim();
  /** The feature `key` as the store at `base` answers it (status and body). */
  const getFeature = async (base: string, key: string) => {
    const r = await httpRequest(`${base}/features/${key}`);
    return { status: r.status, body: JSON.parse(r.body) as { value?: unknown; pod?: string } };
  };

  test('two replicas, each with its own bound claim on local-path', async () => {
    applyExample(server, '09-feature-store');
    kc(server, ['rollout', 'status', 'statefulset/feature-store', '--timeout=120s']);
    const claims = JSON.parse(kc(server, ['get', 'pvc', '-o', 'json'])).items as { metadata: { name: string }; spec: { storageClassName: string }; status: { phase: string } }[];
    assert.deepEqual(claims.map((c) => [c.metadata.name, c.status.phase, c.spec.storageClassName]).sort(), [
      ['data-feature-store-0', 'Bound', 'local-path'],
      ['data-feature-store-1', 'Bound', 'local-path'],
    ]);
    assert.equal(kc(server, ['get', 'svc', 'feature-store', '-o', 'jsonpath={.spec.clusterIP}']), 'None');
  });

  test("a replica's features survive the deletion of its pod", async () => {
    const put = await httpRequest(`http://${podIP('feature-store-0')}:8080/features/user-42`, { method: 'PUT', body: '{"clicks_7d":12,"country":"NZ"}' });
    assert.equal(put.status, 200, put.body);
    assert.equal(JSON.parse(put.body).pod, 'feature-store-0');
    const put1 = await httpRequest(`http://${podIP('feature-store-1')}:8080/features/user-7`, { method: 'PUT', body: '{"clicks_7d":3,"country":"FR"}' });
    assert.equal(put1.status, 200, put1.body);
    assert.equal(kc(server, ['exec', 'feature-store-0', '--', 'cat', '/data/features.json']), '{"user-42":{"clicks_7d":12,"country":"NZ"}}');

    const uid = kc(server, ['get', 'pod', 'feature-store-0', '-o', 'jsonpath={.metadata.uid}']);
    kc(server, ['delete', 'pod', 'feature-store-0']);
    kc(server, ['wait', '--for=condition=Ready', 'pod/feature-store-0', '--timeout=120s']);
    assert.notEqual(kc(server, ['get', 'pod', 'feature-store-0', '-o', 'jsonpath={.metadata.uid}']), uid, 'a new pod');
    const got = await eventually('the new feature-store-0 answers', () => getFeature(`http://${podIP('feature-store-0')}:8080`, 'user-42').catch(() => undefined), 30_000, 500);
    assert.deepEqual(got, { status: 200, body: { key: 'user-42', value: { clicks_7d: 12, country: 'NZ' }, pod: 'feature-store-0' } });
    // Each replica has its own volume: user-7 went to feature-store-1 only.
    assert.equal((await getFeature(`http://${podIP('feature-store-0')}:8080`, 'user-7')).status, 404);
  });

  test('stable DNS names through the headless Service, resolved from another pod', async () => {
    const ip0 = podIP('feature-store-0');
    const resolved = await eventually('feature-store-0 resolved in feature-store-1', () => {
      const a = nodeEval('feature-store-1', "require('dns').lookup('feature-store-0.feature-store.default.svc.cluster.local', (e, a) => console.log(e ? e.code : a))");
      return a === ip0 ? a : undefined;
    }, 30_000, 1000);
    assert.equal(resolved, ip0);
    const viaShortName = nodeEval('feature-store-1', "fetch('http://feature-store-0.feature-store:8080/features/user-42').then((r) => r.text()).then((t) => console.log(t.trim()))");
    assert.equal(viaShortName, '{"key":"user-42","value":{"clicks_7d":12,"country":"NZ"},"pod":"feature-store-0"}');
    const all = nodeEval('feature-store-1', "require('dns').lookup('feature-store', { all: true }, (e, a) => console.log(e ? e.code : a.map((x) => x.address).sort().join(' ')))");
    assert.equal(all, [ip0, podIP('feature-store-1')].sort().join(' '));
  });

  test('scaling to zero keeps the claims; scaling back finds the data', async () => {
    kc(server, ['scale', 'statefulset', 'feature-store', '--replicas=0']);
    await eventually('no feature-store pods', () => (kc(server, ['get', 'pods', '-l', 'app=feature-store', '-o', 'name']).trim() === '' ? true : undefined), 90_000, 500);
    assert.match(kc(server, ['get', 'pvc', 'data-feature-store-1', '--no-headers']), /^data-feature-store-1\s+Bound\s/);
    kc(server, ['scale', 'statefulset', 'feature-store', '--replicas=2']);
    kc(server, ['rollout', 'status', 'statefulset/feature-store', '--timeout=120s']);
    const out = await eventually('feature-store-1 answers by its DNS name', () => {
      const r = kubectl(server, ['exec', 'feature-store-1', '--', 'node', '-e', "fetch('http://feature-store-1.feature-store:8080/features/user-7').then((r) => r.text()).then((t) => console.log(t.trim()))"]);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
    }, 30_000, 1000);
    assert.equal(out, '{"key":"user-7","value":{"clicks_7d":3,"country":"FR"},"pod":"feature-store-1"}');
  });

  test('common mistake: a StorageClass that does not exist leaves claim and pod Pending', async () => {
    kc(server, ['apply', '-f', join(examplesDir, '09-feature-store', 'mistakes', 'wrong-storage-class.yaml')]);
    const event = await eventually('ProvisioningFailed on the claim', () => {
      const out = kc(server, ['get', 'events', '--field-selector', 'involvedObject.name=data-feature-cache-0,reason=ProvisioningFailed', '-o', 'jsonpath={.items[*].message}']);
      return out || undefined;
    }, 30_000, 500);
    assert.equal(event, 'storageclass.storage.k8s.io "fast-ssd" not found');
    assert.match(kc(server, ['get', 'pvc', 'data-feature-cache-0', '--no-headers']), /^data-feature-cache-0\s+Pending\s+fast-ssd\s/);
    const scheduling = await eventually('FailedScheduling on the pod', () => {
      const out = kc(server, ['get', 'events', '--field-selector', 'involvedObject.name=feature-cache-0,reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}']);
      return out || undefined;
    }, 30_000, 500);
    assert.match(scheduling, /^0\/1 nodes are available: pod has unbound immediate PersistentVolumeClaims\./);
    assert.equal(kc(server, ['get', 'pod', 'feature-cache-0', '-o', 'jsonpath={.status.phase}']), 'Pending');
    kc(server, ['delete', '-f', join(examplesDir, '09-feature-store', 'mistakes', 'wrong-storage-class.yaml'), '--wait=true']);
  });
});
