import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { CycleState } from '../../framework/interface.js';
import { FakeHandle, nodeInfo, pod } from '../default-preemption/fake-handle.js';
import { VolumeBinding } from './plugin.js';

const zone = 'topology.kubernetes.io/zone';
const claimPod = (...claims: string[]): Pod => pod('p', {}, { volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) });
const pvc = (name: string, spec: PersistentVolumeClaim['spec'], status?: PersistentVolumeClaim['status']): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default' }, spec, status });

function setup(objs: { pvcs?: PersistentVolumeClaim[]; pvs?: PersistentVolume[]; classes?: StorageClass[] }) {
  const handle = new FakeHandle([nodeInfo('a1', { [zone]: 'a' }), nodeInfo('b1', { [zone]: 'b' })], {
    persistentVolumeClaim: (ns: string, name: string) => objs.pvcs?.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    persistentVolume: (name: string) => objs.pvs?.find((v) => v.metadata?.name === name),
    storageClass: (name: string) => objs.classes?.find((c) => c.metadata?.name === name),
  });
  return { handle, plugin: new VolumeBinding(handle) };
}

function run(objs: Parameters<typeof setup>[0], p: Pod): { pre: string; nodes?: Record<string, string> } {
  const { handle, plugin } = setup(objs);
  const state = new CycleState();
  const pre = plugin.preFilter(state, p).status;
  if (!pre.isSuccess()) return { pre: `${pre.code}: ${pre.message()}` };
  const nodes: Record<string, string> = {};
  for (const ni of handle.nodes) {
    const s = plugin.filter(state, p, ni);
    nodes[ni.name] = s.isSuccess() ? 'ok' : `${s.code}: ${s.message()}`;
  }
  return { pre: 'Success', nodes };
}

describe('VolumeBinding', () => {
  test('pods without claims are skipped', () => {
    assert.deepEqual(run({}, pod('p')), { pre: 'Skip: ' });
  });

  test('a missing claim is unresolvable with the lister error', () => {
    assert.deepEqual(run({}, claimPod('data')), { pre: 'UnschedulableAndUnresolvable: persistentvolumeclaim "data" not found' });
    const eph: Pod = pod('p', {}, { volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }] });
    assert.deepEqual(run({}, eph), { pre: 'UnschedulableAndUnresolvable: waiting for ephemeral volume controller to create the persistentvolumeclaim "p-scratch"' });
  });

  test('an unbound claim of an Immediate class (or no class) blocks the pod', () => {
    const classes: StorageClass[] = [{ metadata: { name: 'fast' }, provisioner: 'x', volumeBindingMode: 'Immediate' }];
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: 'fast' })], classes }, claimPod('data')), { pre: 'UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims' });
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: '' })] }, claimPod('data')), { pre: 'UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims' });
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: 'gone' })] }, claimPod('data')), { pre: 'Error: storageclass.storage.k8s.io "gone" not found' });
  });

  test("a bound volume's node affinity filters nodes", () => {
    const pv: PersistentVolume = {
      metadata: { name: 'pv1' },
      spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: zone, operator: 'In', values: ['a'] }] }] } } },
    };
    const bound = pvc('data', { volumeName: 'pv1' }, { phase: 'Bound' });
    assert.deepEqual(run({ pvcs: [bound], pvs: [pv] }, claimPod('data')), {
      pre: 'Success',
      nodes: { a1: 'ok', b1: 'UnschedulableAndUnresolvable: node(s) had volume node affinity conflict' },
    });
  });

  test('WaitForFirstConsumer claims are schedulable where the class topology allows', () => {
    const classes: StorageClass[] = [
      { metadata: { name: 'local' }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer' },
      { metadata: { name: 'zonal' }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: [{ matchLabelExpressions: [{ key: zone, values: ['b'] }] }] },
    ];
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: 'local' })], classes }, claimPod('data')), { pre: 'Success', nodes: { a1: 'ok', b1: 'ok' } });
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: 'zonal' })], classes }, claimPod('data')), {
      pre: 'Success',
      nodes: { a1: "UnschedulableAndUnresolvable: node(s) didn't find available persistent volumes to bind", b1: 'ok' },
    });
  });

  test('registers for claim, volume and class events', () => {
    const { plugin } = setup({});
    assert.ok(plugin.eventsToRegister().includes('PVCAdd') && plugin.eventsToRegister().includes('PVAdd'));
  });
});
