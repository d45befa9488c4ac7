import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/api-client.js';
import { FakeClock } from '../client/clock.js';
import { createLogger } from '../util/logger.js';
import { AgentVolumes, type PodVolumesHost } from './pod-volumes.js';
import type { Mounter } from './volumes/empty-dir.js';
import { VolumeManager } from './volumes/volume-manager.js';

const noMounts: Mounter = { mountTmpfs: async () => undefined, unmount: async () => undefined, isMountPoint: async () => false };

describe('pod volumes', () => {
  let root: string;
  let file: string;
  const ac = new AbortController();
  const requests: { path: string; body: unknown }[] = [];
  const client = {
    request: async (_method: string, p: string, o: { body: unknown }) => {
      requests.push({ path: p, body: o.body });
      return { status: { token: 'signed-token', expirationTimestamp: new Date(3600_000).toISOString() } };
    },
  } as unknown as ApiClient;

  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'capstan-pod-volumes-'));
    file = path.join(root, 'a-file');
    await fs.writeFile(file, '');
  });
  after(async () => {
    ac.abort();
    await fs.rm(root, { recursive: true, force: true });
  });

  const setup = (honoursMounts = true) => {
    const clock = new FakeClock(0);
    const shared = new AgentVolumes({
      client,
      root: path.join(root, 'kubelet'),
      clock,
      logger: createLogger('error'),
      signal: ac.signal,
      honoursMounts,
      nodeAllocatable: () => ({ cpu: '2', memory: '4Gi' }),
      manager: new VolumeManager({ root: path.join(root, 'kubelet'), mounter: noMounts, privileged: false }),
    });
    return { clock, shared };
  };
  const host = (pod: Pod) => {
    const events: string[] = [];
    let kicks = 0;
    const h: PodVolumesHost = { pod: () => pod, event: (t, r, m) => events.push(`${t} ${r} ${m}`), evict: () => undefined, kick: () => kicks++ };
    return { h, events, kicks: () => kicks };
  };

  it('retries a failed mount with back-off, one FailedMount event per try, and the summary after the timeout', async () => {
    const { clock, shared } = setup();
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [], volumes: [{ name: 'h', hostPath: { path: file, type: 'Directory' } }] } };
    const { h, events, kicks } = host(pod);
    const pv = shared.forPod(h);
    const failed = `Warning FailedMount MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${file} is not a directory`;
    assert.equal(await pv.prepare(ac.signal), 500);
    assert.deepEqual(events, [failed]);
    clock.step(200);
    assert.equal(await pv.prepare(ac.signal), 300, 'not before the back-off ends');
    assert.equal(events.length, 1);
    clock.step(300);
    assert.equal(await pv.prepare(ac.signal), 1000);
    assert.equal(events.length, 2);
    clock.set(123_000);
    await pv.prepare(ac.signal);
    assert.equal(events.at(-1), 'Warning FailedMount Unable to attach or mount volumes: unmounted volumes=[h], unattached volumes=[], failed to process volumes=[]: timed out waiting for the condition');
    pv.retryNow();
    assert.equal(kicks(), 1);
  });

  it('prepares emptyDir and token volumes, builds mounts and tears them down', async () => {
    const { shared } = setup();
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u2' },
      spec: {
        serviceAccountName: 'robot',
        containers: [],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'kube-api-access-abcde', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
        ],
      },
    };
    const { h, events } = host(pod);
    const pv = shared.forPod(h);
    assert.equal(await pv.prepare(ac.signal), undefined);
    assert.deepEqual(events, []);
    assert.equal(requests.at(-1)!.path, '/api/v1/namespaces/ns/serviceaccounts/robot/token');
    const r = await pv.mounts(
      { name: 'c', volumeMounts: [{ name: 'scratch', mountPath: '/s', subPath: 'x' }, { name: 'kube-api-access-abcde', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }] },
      [],
    );
    assert.ok('mounts' in r);
    const [s, sa] = r.mounts;
    assert.equal(s!.hostPath, path.join(root, 'kubelet/pods/u2/volumes/kubernetes.io~empty-dir/scratch/x'));
    assert.equal(s!.optional, undefined);
    assert.equal(sa!.optional, true);
    assert.equal(await fs.readFile(path.join(sa!.hostPath, 'token'), 'utf8'), 'signed-token');
    assert.equal(await fs.readFile(path.join(sa!.hostPath, 'namespace'), 'utf8'), 'ns');
    await pv.tearDown();
    await assert.rejects(fs.stat(path.join(root, 'kubelet/pods/u2')));
  });

  it('prepares nothing for a runtime that cannot mount', async () => {
    const { shared } = setup(false);
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u3' }, spec: { containers: [], volumes: [{ name: 'cfg', configMap: { name: 'missing' } }] } };
    const { h, events } = host(pod);
    const pv = shared.forPod(h);
    assert.equal(await pv.prepare(ac.signal), undefined);
    assert.deepEqual(events, []);
    assert.deepEqual(await pv.mounts({ name: 'c', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }, []), { mounts: [{ containerPath: '/cfg', hostPath: '', readonly: false }] });
    await assert.rejects(fs.stat(path.join(root, 'kubelet/pods/u3')));
  });

  it('removes the volumes of pods no longer known, and only those', async () => {
    const { shared } = setup();
    const kept = path.join(root, 'kubelet/pods/known/volumes/kubernetes.io~empty-dir/v');
    const orphan = path.join(root, 'kubelet/pods/orphan/volumes/kubernetes.io~configmap/v');
    await fs.mkdir(kept, { recursive: true });
    await fs.mkdir(orphan, { recursive: true });
    await shared.cleanupOrphans((uid) => uid === 'known');
    await fs.stat(kept);
    await assert.rejects(fs.stat(path.join(root, 'kubelet/pods/orphan')));
  });
});
