import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { CycleState } from '../../framework/interface.js';
import { FakeHandle, nodeInfo, pod } from '../default-preemption/fake-handle.js';
import { VolumeBinding } from './plugin.js';
import { olderVersion } from './assume-cache.js';

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

  test('an unbound claim of an Immediate class (or no class, or a missing class) blocks the pod', () => {
    const classes: StorageClass[] = [{ metadata: { name: 'fast' }, provisioner: 'x', volumeBindingMode: 'Immediate' }];
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: 'fast' })], classes }, claimPod('data')), { pre: 'UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims' });
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: '' })] }, claimPod('data')), { pre: 'UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims' });
    // A class that does not exist counts as Immediate (the PV controller reports the missing class on the claim).
    assert.deepEqual(run({ pvcs: [pvc('data', { storageClassName: 'gone' })] }, claimPod('data')), { pre: 'UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims' });
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

  describe('binding WaitForFirstConsumer claims', () => {
    const host = 'kubernetes.io/hostname';
    const classes: StorageClass[] = [
      { metadata: { name: 'static' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
      { metadata: { name: 'local-path' }, provisioner: 'capstan.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' },
    ];
    const localPv = (name: string, node: string, storage = '1Gi'): PersistentVolume => ({
      metadata: { name, resourceVersion: '10' },
      spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], storageClassName: 'static', local: { path: `/mnt/${name}` }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: host, operator: 'In', values: [node] }] }] } } },
      status: { phase: 'Available' },
    });
    const claim = (name: string, cls: string, storage = '1Gi'): PersistentVolumeClaim => ({
      metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '20' },
      spec: { storageClassName: cls, accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
      status: { phase: 'Pending' },
    });

    /** A world the test mutates as the API would, with a handle whose effects write into it. */
    function world(pvs: PersistentVolume[], pvcs: PersistentVolumeClaim[]) {
      let rv = 100;
      const writes: string[] = [];
      const handle = new FakeHandle([nodeInfo('a1', { [host]: 'a1' }), nodeInfo('b1', { [host]: 'b1' })], {
        persistentVolumeClaim: (ns: string, name: string) => pvcs.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
        persistentVolume: (name: string) => pvs.find((v) => v.metadata?.name === name),
        persistentVolumes: () => pvs,
        storageClass: (name: string) => classes.find((c) => c.metadata?.name === name),
      });
      const store = <T extends { metadata?: { name?: string; resourceVersion?: string } }>(list: T[], obj: T): T => {
        const i = list.findIndex((o) => o.metadata?.name === obj.metadata?.name);
        if (list[i]!.metadata?.resourceVersion !== obj.metadata?.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
        const saved = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
        list[i] = saved;
        return saved;
      };
      Object.assign(handle.effects, {
        updatePersistentVolume: async (pv: PersistentVolume) => {
          writes.push(`pv ${pv.metadata?.name} claimRef=${pv.spec?.claimRef?.name}`);
          return store(pvs, pv);
        },
        updatePersistentVolumeClaim: async (pvc: PersistentVolumeClaim) => {
          writes.push(`pvc ${pvc.metadata?.name} selected-node=${pvc.metadata?.annotations?.['volume.kubernetes.io/selected-node']}`);
          return store(pvcs, pvc);
        },
      });
      /** The PV controller's (and provisioner's) part: bind what the scheduler chose. */
      const completeBinding = () => {
        for (const c of pvcs) {
          const pv = pvs.find((v) => v.spec?.claimRef?.uid === c.metadata?.uid);
          if (!pv || c.spec?.volumeName) continue;
          c.spec = { ...c.spec, volumeName: pv.metadata!.name };
          c.metadata = { ...c.metadata, annotations: { ...c.metadata?.annotations, 'pv.kubernetes.io/bind-completed': 'yes' }, resourceVersion: String(++rv) };
        }
      };
      const sleeps: number[] = [];
      let onSleep = () => {};
      const plugin = new VolumeBinding(handle, {
        bindTimeoutMs: 5000,
        pollIntervalMs: 1000,
        sleep: async (ms) => {
          sleeps.push(ms);
          handle.nowValue = new Date(handle.nowValue.getTime() + ms);
          onSleep();
        },
      });
      return { handle, plugin, writes, completeBinding, setOnSleep: (f: () => void) => (onSleep = f), sleeps, pvs, pvcs };
    }

    const filterAll = (w: ReturnType<typeof world>, p: Pod) => {
      const state = new CycleState();
      const pre = w.plugin.preFilter(state, p).status;
      assert.ok(pre.isSuccess(), pre.message());
      const nodes: Record<string, string> = {};
      for (const ni of w.handle.nodes) {
        const s = w.plugin.filter(state, p, ni);
        nodes[ni.name] = s.isSuccess() ? 'ok' : `${s.code}: ${s.message()}`;
      }
      return { state, nodes };
    };

    test('a static volume is found only on the node its affinity admits; without one and without a provisioner the node fails', () => {
      const w = world([localPv('pv-a', 'a1')], [claim('data', 'static')]);
      assert.deepEqual(filterAll(w, claimPod('data')).nodes, { a1: 'ok', b1: "UnschedulableAndUnresolvable: node(s) didn't find available persistent volumes to bind" });
      const small = world([localPv('pv-a', 'a1', '1Mi')], [claim('data', 'static')]);
      assert.deepEqual(Object.values(filterAll(small, claimPod('data')).nodes), [
        "UnschedulableAndUnresolvable: node(s) didn't find available persistent volumes to bind",
        "UnschedulableAndUnresolvable: node(s) didn't find available persistent volumes to bind",
      ]);
    });

    test('Reserve assumes the static volume (other pods cannot take it); Unreserve gives it back', () => {
      const w = world([localPv('pv-a', 'a1')], [claim('one', 'static'), claim('two', 'static')]);
      const first = filterAll(w, claimPod('one'));
      assert.ok(w.plugin.reserve(first.state, claimPod('one'), 'a1').isSuccess());
      assert.equal(filterAll(w, claimPod('two')).nodes.a1, "UnschedulableAndUnresolvable: node(s) didn't find available persistent volumes to bind");
      w.plugin.unreserve(first.state);
      assert.equal(filterAll(w, claimPod('two')).nodes.a1, 'ok');
    });

    test('PreBind writes the claimRef and waits until the PV controller has bound the claim', async () => {
      const w = world([localPv('pv-a', 'a1')], [claim('data', 'static')]);
      const { state } = filterAll(w, claimPod('data'));
      w.plugin.reserve(state, claimPod('data'), 'a1');
      w.setOnSleep(() => w.completeBinding());
      const s = await w.plugin.preBind(state, claimPod('data'), 'a1');
      assert.ok(s.isSuccess(), s.message());
      assert.deepEqual(w.writes, ['pv pv-a claimRef=data']);
      assert.equal(w.pvs[0]!.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
      assert.equal(w.pvs[0]!.spec?.claimRef?.uid, 'uid-data');
    });

    test('a provisionable claim gets selected-node; PreBind fails when the annotation is reset or the wait times out', async () => {
      const w = world([], [claim('data', 'local-path')]);
      const { state, nodes } = filterAll(w, claimPod('data'));
      assert.deepEqual(nodes, { a1: 'ok', b1: 'ok' });
      w.plugin.reserve(state, claimPod('data'), 'b1');
      const timedOut = await w.plugin.preBind(state, claimPod('data'), 'b1');
      assert.deepEqual(w.writes, ['pvc data selected-node=b1']);
      assert.equal(timedOut.message(), 'binding volumes: context deadline exceeded');
      assert.equal(w.sleeps.length, 5);

      const w2 = world([], [claim('data', 'local-path')]);
      const f2 = filterAll(w2, claimPod('data'));
      w2.plugin.reserve(f2.state, claimPod('data'), 'a1');
      w2.setOnSleep(() => {
        const c = w2.pvcs[0]!;
        c.metadata = { ...c.metadata, annotations: {}, resourceVersion: '999' };
      });
      assert.equal((await w2.plugin.preBind(f2.state, claimPod('data'), 'a1')).message(), 'binding volumes: selectedNode annotation reset for PVC "data"');
    });

    test('PreBind succeeds once the provisioned volume is bound and admits the node', async () => {
      const w = world([], [claim('data', 'local-path')]);
      const { state } = filterAll(w, claimPod('data'));
      w.plugin.reserve(state, claimPod('data'), 'a1');
      w.setOnSleep(() => {
        if (w.pvs.length) return;
        w.pvs.push({ ...localPv('pvc-uid-data', 'a1'), spec: { ...localPv('pvc-uid-data', 'a1').spec, claimRef: { namespace: 'default', name: 'data', uid: 'uid-data' } } });
        w.completeBinding();
      });
      const s = await w.plugin.preBind(state, claimPod('data'), 'a1');
      assert.ok(s.isSuccess(), s.message());
    });

    test('resource versions compare as revisions', () => {
      assert.ok(olderVersion('9', '10'));
      assert.ok(!olderVersion('10', '10'));
      assert.ok(!olderVersion(undefined, '10'));
    });
  });
});
