/**
 * Storage out of the box with real pods (sandbox runtime; skipped where it cannot run): a
 * StatefulSet's volumeClaimTemplates get claims of the default `local-path` class, the scheduler
 * selects the node, the provisioner makes a volume there, and what a replica wrote survives the
 * deletion and re-creation of its pod.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkip, kc, kubectl } from './harness.js';
import { suiteServer } from './suite-server.js';
import { sandboxUnavailable } from '../../src/agent/runtime/sandbox/probe.js';
import { eventually } from '../support/eventually.js';

const skip = e2eSkip() || ((await sandboxUnavailable()) ?? false);
if (skip) console.log(`# skipping StatefulSet storage e2e: ${skip}`);

const statefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: store}
spec:
  serviceName: store
  replicas: 2
  selector: {matchLabels: {app: store}}
  template:
    metadata: {labels: {app: store}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: none
        command: [sh, -c, 'test -f /data/id || echo "$HOSTNAME-$(date +%s%N)" > /data/id; exec sleep 3600']
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;

describe('StatefulSet storage on the default local-path class', { skip, timeout: 240_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'sandbox', cleanUp: (s) => kubectl(s, ['delete', 'statefulset', 'store', '--wait=true', '--timeout=60s']), deleteAll: ['pods'] });

  const idOf = (pod: string) => {
    const r = kubectl(server, ['exec', pod, '--', 'cat', '/data/id']);
    return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  };

  test('each replica gets a bound claim and a local-path volume on the node', async () => {
    assert.match(kc(server, ['get', 'storageclass']), /local-path \(default\)\s+capstan\.io\/local-path\s+Delete\s+WaitForFirstConsumer/);
    kc(server, ['apply', '-f', '-'], { input: statefulSet });
    kc(server, ['rollout', 'status', 'statefulset/store', '--timeout=120s']);
    const claims = JSON.parse(kc(server, ['get', 'pvc', '-o', 'json'])).items as { metadata: { name: string; annotations?: Record<string, string> }; spec: { storageClassName: string; volumeName: string }; status: { phase: string } }[];
    assert.deepEqual(claims.map((c) => [c.metadata.name, c.status.phase, c.spec.storageClassName]).sort(), [['data-store-0', 'Bound', 'local-path'], ['data-store-1', 'Bound', 'local-path']]);
    assert.equal(claims[0].metadata.annotations?.['volume.kubernetes.io/selected-node'], 'capstan-e2e');
    const pv = JSON.parse(kc(server, ['get', 'pv', claims[0].spec.volumeName, '-o', 'json']));
    assert.equal(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0], 'capstan-e2e');
    assert.ok(await eventually('store-0 wrote its id', () => idOf('store-0')));
  });

  test("a replica's data survives the deletion of its pod", async () => {
    const before = await eventually('store-0 id', () => idOf('store-0'));
    const uid = kc(server, ['get', 'pod', 'store-0', '-o', 'jsonpath={.metadata.uid}']);
    kc(server, ['delete', 'pod', 'store-0', '--wait=true']);
    await eventually('a new store-0 running', () => {
      const r = kubectl(server, ['get', 'pod', 'store-0', '-o', 'jsonpath={.metadata.uid} {.status.phase}']);
      const [u, phase] = r.stdout.split(' ');
      return r.code === 0 && u !== uid && phase === 'Running' ? true : undefined;
    }, 90_000);
    assert.equal(await eventually('store-0 id again', () => idOf('store-0')), before);
    assert.notEqual(await eventually('store-1 id', () => idOf('store-1')), before);
  });
});
