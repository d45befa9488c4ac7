/**
 * PersistentVolume binding end to end inside `capstan server` (no agent; two simulated nodes) with
 * the real kubectl: the PV controller binding a static volume to an Immediate claim, a claim with
 * no match left Pending with FailedBinding, a Retain volume Released when its claim goes, and
 * WaitForFirstConsumer provisioning by the built-in local-path provisioner, driven by the
 * scheduler's VolumeBinding plugin, for a pod and for a StatefulSet's claim templates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { ResourceRef } from '../../src/client/resource-path.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { kc, kubectlPath, startServer, type ServerHandle } from './harness.js';

const haveKubectl = kubectlPath() !== undefined;
const ns = 'default';
const refs = {
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  pvcs: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  pvs: { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false },
  events: { group: '', version: 'v1', plural: 'events', namespaced: true },
} satisfies Record<string, ResourceRef>;

describe('persistent volume binding', { skip: !haveKubectl && 'kubectl is not installed' }, () => {
  let srv: ServerHandle;
  let client: ApiClient;
  const stop = new AbortController();
  let fleet: Promise<void> | undefined;

  const apply = (...objs: object[]) => kc(srv, ['apply', '-f', '-'], { input: JSON.stringify(objs.length === 1 ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs }) });

  /** Polls `read` until `pred` holds; fails after `ms` showing the last value. */
  async function until<T>(what: string, read: () => Promise<T>, pred: (v: T) => boolean, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    let last: T | undefined;
    for (;;) {
      try {
        last = await read();
        if (pred(last)) return last;
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const getClaim = (name: string) => () => client.get<PersistentVolumeClaim & ApiObject>(refs.pvcs, name, { namespace: ns });
  const getVolume = (name: string) => () => client.get<PersistentVolume & ApiObject>(refs.pvs, name);
  const getPod = (name: string) => () => client.get<Pod & ApiObject>(refs.pods, name, { namespace: ns });
  const eventsFor = (name: string) => async () => (await client.list<Event & ApiObject>(refs.events, { namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;

  const hostPathPv = (name: string, storage: string, reclaim = 'Retain') => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: reclaim, storageClassName: '', hostPath: { path: `/srv/${name}` } },
  });
  const claim = (name: string, storage: string, storageClassName?: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...(storageClassName !== undefined ? { storageClassName } : {}) },
  });

  before(async () => {
    srv = await startServer();
    client = await ApiClient.fromKubeconfig(srv.kubeconfig);
    await new Promise<void>((ready, fail) => {
      fleet = startSimulatedNodes(client, { logger: createLogger('warn'), onReady: () => ready(), namePrefix: 'pv-', nodes: 2, zones: 1 }, stop.signal);
      fleet.then(() => fail(new Error('simulated nodes stopped before they were ready')), fail);
    });
  });

  after(async () => {
    stop.abort();
    await fleet?.catch(() => undefined);
    client?.close();
    await srv?.stop();
  });

  test('the local-path StorageClass is the default', async () => {
    const out = await until('the local-path class', async () => kc(srv, ['get', 'storageclass', '--no-headers']), (o) => o.includes('local-path'));
    assert.match(out, /^local-path \(default\)\s+capstan\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false/m);
  });

  test('a static volume binds to an Immediate claim: both Bound, the CLAIM column names it', async () => {
    apply(hostPathPv('pv-small', '1Gi'), hostPathPv('pv-large', '10Gi'), claim('static-claim', '500Mi', ''));
    const pvc = await until('claim Bound', getClaim('static-claim'), (c) => c.status?.phase === 'Bound');
    assert.equal(pvc.spec?.volumeName, 'pv-small', 'the smallest volume that fits');
    assert.equal(pvc.metadata.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(pvc.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.deepEqual(pvc.status?.capacity, { storage: '1Gi' });
    await until('volume Bound', getVolume('pv-small'), (v) => v.status?.phase === 'Bound');
    const pvLine = kc(srv, ['get', 'pv', 'pv-small', '--no-headers']).trim().split(/\s+/);
    assert.deepEqual(pvLine.slice(0, 6), ['pv-small', '1Gi', 'RWO', 'Retain', 'Bound', 'default/static-claim'], pvLine.join(' '));
    const pvcLine = kc(srv, ['get', 'pvc', 'static-claim', '--no-headers']).trim().split(/\s+/);
    assert.deepEqual(pvcLine.slice(0, 5), ['static-claim', 'Bound', 'pv-small', '1Gi', 'RWO'], pvcLine.join(' '));
    assert.match(kc(srv, ['get', 'pv,pvc']), /persistentvolumeclaim\/static-claim\s+Bound\s+pv-small/);
  });

  test('a claim with no matching volume and no class stays Pending with FailedBinding', async () => {
    apply(claim('too-big', '100Gi', ''));
    const events = await until('FailedBinding', eventsFor('too-big'), (e) => e.some((x) => x.reason === 'FailedBinding'));
    const ev = events.find((x) => x.reason === 'FailedBinding')!;
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.message, 'no persistent volumes available for this claim and no storage class is set');
    assert.equal(ev.source?.component, 'persistentvolume-controller');
    assert.equal((await getClaim('too-big')()).status?.phase, 'Pending');
  });

  test('a local-path claim without a pod waits for its first consumer', async () => {
    apply(claim('lonely', '1Gi', 'local-path'));
    const events = await until('WaitForFirstConsumer', eventsFor('lonely'), (e) => e.some((x) => x.reason === 'WaitForFirstConsumer'));
    assert.equal(events.find((x) => x.reason === 'WaitForFirstConsumer')!.message, 'waiting for first consumer to be created before binding');
    const pvc = await getClaim('lonely')();
    assert.equal(pvc.status?.phase, 'Pending');
    assert.equal(pvc.spec?.volumeName, undefined);
    kc(srv, ['delete', 'pvc', 'lonely']);
  });

  test('deleting the claim of a Retain volume leaves the volume Released', async () => {
    kc(srv, ['delete', 'pvc', 'static-claim']);
    await until('volume Released', getVolume('pv-small'), (v) => v.status?.phase === 'Released');
    assert.match(kc(srv, ['get', 'pv', 'pv-small', '--no-headers']), /Retain\s+Released\s+default\/static-claim/);
    // Without the DefaultStorageClass admission plugin a classless claim could still take this
    // classless volume before the PV controller assigns the default class: remove it.
    kc(srv, ['delete', 'pv', 'pv-large']);
  });

  test('a pod with a local-path claim: scheduled, selected-node, a volume on that node, claim Bound', async () => {
    apply(claim('app-data', '1Gi'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'app', namespace: ns },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'nginx:1.27' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'app-data' } }] },
    });
    const pod = await until('pod scheduled', getPod('app'), (p) => !!p.spec?.nodeName);
    const node = pod.spec!.nodeName!;
    const pvc = await until('claim Bound', getClaim('app-data'), (c) => c.status?.phase === 'Bound');
    assert.equal(pvc.spec?.storageClassName, 'local-path', 'the default class, assigned retroactively');
    assert.equal(pvc.metadata.annotations?.['volume.kubernetes.io/selected-node'], node);
    assert.equal(pvc.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'], 'capstan.io/local-path');
    const pv = await getVolume(pvc.spec!.volumeName!)();
    assert.equal(pv.metadata.name, `pvc-${pvc.metadata.uid}`);
    assert.equal(pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'capstan.io/local-path');
    assert.equal(pv.status?.phase, 'Bound');
    assert.equal(pv.spec?.local?.path, `${srv.dataDir}/agent/local-path/${pv.metadata.name}`);
    assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }]);
    const reasons = (await until('ProvisioningSucceeded', eventsFor('app-data'), (e) => e.some((x) => x.reason === 'ProvisioningSucceeded'))).map((e) => e.reason);
    for (const r of ['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']) assert.ok(reasons.includes(r), `${r} in ${reasons.join(',')}`);
    // Deleting pod and claim releases the volume, which the provisioner then deletes.
    kc(srv, ['delete', 'pod', 'app', '--grace-period=0', '--force', '--wait=false']);
    kc(srv, ['delete', 'pvc', 'app-data', '--wait=false']);
    await until('volume deleted', async () => (await client.list<ApiObject>(refs.pvs)).items.map((i) => i.metadata.name), (names) => !names.includes(pv.metadata.name!));
  });

  test('a StatefulSet gets one Bound claim per replica from its volumeClaimTemplates', async () => {
    apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace: ns },
      spec: {
        serviceName: 'web',
        replicas: 2,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'nginx:1.27', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    for (const i of [0, 1]) {
      const pvc = await until(`data-web-${i} Bound`, getClaim(`data-web-${i}`), (c) => c.status?.phase === 'Bound');
      const pod = await until(`web-${i} scheduled`, getPod(`web-${i}`), (p) => !!p.spec?.nodeName);
      assert.equal(pvc.metadata.annotations?.['volume.kubernetes.io/selected-node'], pod.spec?.nodeName);
    }
    const lines = kc(srv, ['get', 'pvc', '--no-headers']).trim().split('\n').filter((l) => l.startsWith('data-web-'));
    assert.equal(lines.length, 2, lines.join('\n'));
    for (const l of lines) assert.match(l, /^data-web-[01]\s+Bound\s+pvc-[0-9a-f-]+\s+1Gi\s+RWO\s+local-path/);
  });
});
