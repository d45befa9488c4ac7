import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { emptyDirLimitEviction, type Mounter, overSizeLimit } from './empty-dir.js';
import { resolveClaim } from './claims.js';
import { annProvisionedBy } from './claims.js';
import { localPathProvisionerName } from './local-path/names.js';
import { containerMounts, expandSubPathExpr, subPathError } from './subpath.js';
import { type VolumeLookups, VolumeManager, pluginDirs, unableToMountMessage } from './volume-manager.js';

class FakeMounter implements Mounter {
  mounted = new Map<string, bigint | undefined>();
  async mountTmpfs(dir: string, size: bigint | undefined) {
    this.mounted.set(dir, size);
  }
  async unmount(dir: string) {
    this.mounted.delete(dir);
  }
  async isMountPoint(dir: string) {
    return this.mounted.has(dir);
  }
}

function lookups(objs: { cms?: ConfigMap[]; pvcs?: PersistentVolumeClaim[]; pvs?: PersistentVolume[] }): VolumeLookups {
  return {
    configMap: (ns, name) => objs.cms?.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    secret: () => undefined,
    persistentVolumeClaim: (ns, name) => objs.pvcs?.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    persistentVolume: (name) => objs.pvs?.find((v) => v.metadata?.name === name),
    serviceAccountToken: async (req) => `token-for-${req.serviceAccountName}-${req.expirationSeconds}`,
  };
}

describe('subPath rules', () => {
  it('refuses absolute paths and backsteps', () => {
    assert.equal(subPathError('/etc'), 'error SubPath `/etc` must not be an absolute path');
    assert.equal(subPathError('a/../../b'), "unable to provision SubPath `a/../../b`: must not contain '..'");
    assert.equal(subPathError('a/b..c'), undefined);
  });
  it('expands subPathExpr and names missing variables', () => {
    assert.deepEqual(expandSubPathExpr('logs/$(POD_NAME)', [{ name: 'POD_NAME', value: 'p1' }]), { value: 'logs/p1' });
    assert.deepEqual(expandSubPathExpr('$(B)/$(A)', [{ name: 'A', value: '' }]), { error: 'missing value for A, B' });
  });
  it('emptyDir size limits', () => {
    assert.equal(overSizeLimit(10n, 5n), true);
    assert.equal(overSizeLimit(5n, 5n), false);
    assert.equal(overSizeLimit(10n, undefined), false);
    assert.equal(emptyDirLimitEviction([{ volume: 'scratch', medium: '', usedBytes: 2048n, sizeLimitBytes: 1024n, sizeLimit: '1Ki' }]), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Ki". ');
  });
});

describe('claims', () => {
  const pvc = (phase: string, volumeName?: string): PersistentVolumeClaim => ({ metadata: { name: 'data', namespace: 'ns', uid: 'c1' }, spec: { volumeName }, status: { phase } });
  it('reports unbound and missing claims as the populator does', () => {
    assert.deepEqual(resolveClaim('ns', 'data', false, { persistentVolumeClaim: () => undefined, persistentVolume: () => undefined }), {
      error: 'error processing PVC ns/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found',
    });
    assert.deepEqual(resolveClaim('ns', 'data', false, { persistentVolumeClaim: () => pvc('Pending'), persistentVolume: () => undefined }), { error: 'error processing PVC ns/data: PVC is not bound' });
    const pv: PersistentVolume = { metadata: { name: 'pv1' }, spec: { claimRef: { uid: 'other' }, local: { path: '/d' } } };
    assert.deepEqual(resolveClaim('ns', 'data', false, { persistentVolumeClaim: () => pvc('Bound', 'pv1'), persistentVolume: () => pv }), {
      error: 'error processing PVC ns/data: found PV object pv1 but its pv.Spec.ClaimRef.UID other does not point to claim.UID c1',
    });
  });
});

describe('VolumeManager', () => {
  let tmp: string;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'capstan-vm-'));
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('sets up, mounts into containers, refreshes and tears down', async () => {
    const mounter = new FakeMounter();
    const vm = new VolumeManager({ root: path.join(tmp, 'root'), mounter, privileged: true });
    const hostDir = path.join(tmp, 'host');
    const pvDir = path.join(tmp, 'lp', 'pvc-1');
    const cm: ConfigMap = { metadata: { name: 'cfg', namespace: 'ns' }, data: { 'app.conf': 'v1' } };
    const pvc: PersistentVolumeClaim = { metadata: { name: 'data', namespace: 'ns', uid: 'c1' }, spec: { volumeName: 'pvc-1' }, status: { phase: 'Bound' } };
    const pv: PersistentVolume = { metadata: { name: 'pvc-1', annotations: { [annProvisionedBy]: localPathProvisionerName } }, spec: { claimRef: { uid: 'c1' }, local: { path: pvDir } } };
    const objs = { cms: [cm], pvcs: [pvc], pvs: [pv] };
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' },
      spec: {
        serviceAccountName: 'sa',
        containers: [
          {
            name: 'c',
            volumeMounts: [
              { name: 'cfg', mountPath: '/etc/app' },
              { name: 'scratch', mountPath: '/scratch', subPathExpr: 'w/$(POD)' },
              { name: 'mem', mountPath: '/mem' },
              { name: 'host', mountPath: '/host', readOnly: true },
              { name: 'data', mountPath: '/data' },
              { name: 'api', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
            ],
          },
        ],
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } },
          { name: 'scratch', emptyDir: { sizeLimit: '1Mi' } },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
          { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'api', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } },
        ],
      },
    };
    const r = await vm.setUp(pod, lookups(objs));
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const cfgDir = vm.volumeDir('uid-1', pluginDirs.configMap, 'cfg');
    assert.deepEqual(r.volumes.get('cfg'), { hostPath: cfgDir, readOnlyDefault: true });
    assert.equal(await fs.readFile(path.join(cfgDir, 'app.conf'), 'utf8'), 'v1');
    assert.equal(mounter.mounted.get(vm.volumeDir('uid-1', pluginDirs.emptyDir, 'mem')), 64n * 1024n * 1024n);
    assert.ok((await fs.stat(pvDir)).isDirectory());
    assert.equal(await fs.readFile(path.join(r.volumes.get('api')!.hostPath, 'token'), 'utf8'), 'token-for-sa-3607');

    const m = await containerMounts(pod.spec!.containers[0], r.volumes, [{ name: 'POD', value: 'p' }]);
    assert.ok('mounts' in m);
    const scratch = vm.volumeDir('uid-1', pluginDirs.emptyDir, 'scratch');
    assert.deepEqual(
      m.mounts.map((x) => [x.containerPath, x.hostPath, x.readonly]),
      [
        ['/etc/app', cfgDir, true],
        ['/scratch', await fs.realpath(path.join(scratch, 'w/p')), false],
        ['/mem', vm.volumeDir('uid-1', pluginDirs.emptyDir, 'mem'), false],
        ['/host', hostDir, true],
        ['/data', pvDir, false],
        ['/var/run/secrets/kubernetes.io/serviceaccount', r.volumes.get('api')!.hostPath, true],
      ],
    );

    // Usage for the eviction check.
    await fs.writeFile(path.join(scratch, 'w/p/big'), Buffer.alloc(2 * 1024 * 1024, 1));
    const usage = await vm.emptyDirUsageBytes('uid-1');
    assert.equal(emptyDirLimitEviction(usage), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');

    // Refresh rewrites only what changed.
    assert.deepEqual((await vm.refresh(pod, lookups(objs))).updated, []);
    cm.data = { 'app.conf': 'v2' };
    assert.deepEqual((await vm.refresh(pod, lookups(objs))).updated, ['cfg']);
    assert.equal(await fs.readFile(path.join(cfgDir, 'app.conf'), 'utf8'), 'v2');

    await vm.tearDown('uid-1');
    assert.equal(mounter.mounted.size, 0);
    await assert.rejects(fs.stat(path.join(tmp, 'root/pods/uid-1')));
    assert.ok((await fs.stat(hostDir)).isDirectory(), 'hostPath untouched');
    assert.ok((await fs.stat(pvDir)).isDirectory(), 'claim directory untouched');
  });

  it('reports FailedMount texts and refuses escaping subPaths', async () => {
    const vm = new VolumeManager({ root: path.join(tmp, 'root2'), mounter: new FakeMounter(), privileged: false });
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'uid-2' },
      spec: {
        containers: [{ name: 'c' }],
        volumes: [
          { name: 'cfg', configMap: { name: 'x' } },
          { name: 'h', hostPath: { path: '/dev/null', type: 'Directory' } },
          { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'e', emptyDir: {} },
        ],
      },
    };
    const r = await vm.setUp(pod, lookups({}));
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [
        'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found',
        'MountVolume.SetUp failed for volume "h" : hostPath type check failed: /dev/null is not a directory',
        'error processing PVC ns/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found',
      ],
    );
    assert.match(unableToMountMessage(r.errors, ['data']), /^Unable to attach or mount volumes: unmounted volumes=\[cfg data h\]/);

    // A symlink inside the volume that points out of it is refused.
    const e = r.volumes.get('e')!;
    await fs.symlink('/etc', path.join(e.hostPath, 'out'));
    const m = await containerMounts({ name: 'c', volumeMounts: [{ name: 'e', mountPath: '/x', subPath: 'out' }] }, r.volumes);
    assert.deepEqual(m, { error: { reason: 'CreateContainerConfigError', message: 'failed to prepare subPath for volumeMount "e" of container "c"' } });
    const m2 = await containerMounts({ name: 'c', volumeMounts: [{ name: 'e', mountPath: '/x', subPath: '../x' }] }, r.volumes);
    assert.deepEqual(m2, { error: { reason: 'CreateContainerConfigError', message: "unable to provision SubPath `../x`: must not contain '..'" } });
    const m3 = await containerMounts({ name: 'c', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, r.volumes);
    assert.deepEqual(m3, { error: { reason: 'CreateContainerConfigError', message: 'cannot find volume "nope" to mount into container "c"' } });
    await vm.tearDown('uid-2');
  });
});

describe('local-path directories on the node', () => {
  it('removes the directories of deleted volumes only', async () => {
    const { orphanedVolumeDirs, removeOrphanedLocalPathDirs } = await import('./local-path/cleanup.js');
    assert.deepEqual(orphanedVolumeDirs(['pvc-a', 'pvc-b', 'other'], new Set(['pvc-a'])), ['pvc-b']);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'capstan-lp-'));
    try {
      await fs.mkdir(path.join(dir, 'local-path/pvc-a'), { recursive: true });
      await fs.mkdir(path.join(dir, 'local-path/pvc-b'), { recursive: true });
      assert.deepEqual(await removeOrphanedLocalPathDirs(dir, new Set(['pvc-a'])), ['pvc-b']);
      assert.deepEqual(await fs.readdir(path.join(dir, 'local-path')), ['pvc-a']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
