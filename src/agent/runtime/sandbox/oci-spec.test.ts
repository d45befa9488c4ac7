/**
 * The sandbox runtime's pure decisions: the OCI config, pod files, container path lookup, runc
 * error text, OOM counters, mount detection and the runtime choice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRuntime } from '../detect.js';
import { parseOomKills } from './cgroup.js';
import { hostPathOf } from './container-path.js';
import { cgroupResources, ociSpec, type OciSpecInput } from './oci-spec.js';
import { isMountPoint, overlayOptions } from './rootfs.js';
import { runcErrorMessage } from './runc.js';
import { runcId } from './sandbox-runtime.js';

const input: OciSpecInput = {
  rootfs: '/state/c1/bundle/rootfs',
  hostname: 'web-0',
  args: ['/bin/sh', '-c', 'true'],
  env: ['PATH=/bin', 'HOSTNAME=web-0'],
  cwd: '/srv',
  podFiles: [
    { containerPath: '/etc/hosts', hostPath: '/state/pods/p/hosts' },
    { containerPath: '/etc/hostname', hostPath: '/state/pods/p/hostname' },
  ],
  mounts: [
    { containerPath: '/data/', hostPath: '/vol/data', readonly: false },
    { containerPath: '/etc/hosts', hostPath: '/vol/myhosts', readonly: true },
  ],
  statusDir: { hostPath: '/state/c1/status', containerPath: '/dev/.init' },
  cgroupsPath: '/capstan/sb/c1',
  resources: { memoryLimitBytes: 32 << 20, cpuQuota: 50000, cpuPeriod: 100000, cpuShares: 512 },
  hostNetwork: true,
};

test('ociSpec: namespaces without network for host-network pods, process, root and hostname', () => {
  const spec = ociSpec(input);
  assert.deepEqual(
    spec.linux.namespaces.map((n) => n.type),
    ['pid', 'ipc', 'uts', 'mount'],
  );
  assert.deepEqual(
    ociSpec({ ...input, hostNetwork: false }).linux.namespaces.map((n) => n.type),
    ['pid', 'ipc', 'uts', 'mount', 'network'],
  );
  // Bridge mode: the container joins its pod's network namespace.
  assert.deepEqual(ociSpec({ ...input, hostNetwork: false, netnsPath: '/run/netns/capstan-0123' }).linux.namespaces.at(-1), { type: 'network', path: '/run/netns/capstan-0123' });
  assert.deepEqual(spec.process.args, input.args);
  assert.deepEqual(spec.process.env, input.env);
  assert.equal(spec.process.cwd, '/srv');
  assert.deepEqual(spec.process.user, { uid: 0, gid: 0 });
  assert.equal(spec.process.terminal, false);
  assert.deepEqual(spec.root, { path: input.rootfs, readonly: false });
  assert.equal(spec.hostname, 'web-0');
  assert.equal(spec.linux.cgroupsPath, '/capstan/sb/c1');
});

test('ociSpec: standard mounts first, then pod files, status dir and volumes; a volume replaces a pod file', () => {
  const spec = ociSpec(input);
  const dests = spec.mounts.map((m) => m.destination);
  assert.deepEqual(dests, ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/etc/hostname', '/dev/.init', '/data', '/etc/hosts']);
  assert.ok(spec.mounts.find((m) => m.destination === '/sys')!.options.includes('ro'));
  const data = spec.mounts.find((m) => m.destination === '/data')!;
  assert.deepEqual(data, { destination: '/data', type: 'bind', source: '/vol/data', options: ['rbind', 'rprivate', 'rw'] });
  const hosts = spec.mounts.find((m) => m.destination === '/etc/hosts')!;
  assert.equal(hosts.source, '/vol/myhosts');
  assert.ok(hosts.options.includes('ro'));
});

test('cgroupResources: limits that are set, nothing for unset or zero', () => {
  assert.deepEqual(cgroupResources(input.resources), { memory: { limit: 32 << 20 }, cpu: { shares: 512, quota: 50000, period: 100000 } });
  assert.deepEqual(cgroupResources({ memoryLimitBytes: 0 }), {});
  assert.deepEqual(cgroupResources(undefined), {});
  assert.deepEqual(ociSpec({ ...input, resources: undefined }).linux.resources, { devices: [{ allow: false, access: 'rwm' }] });
});

test('hostPathOf: the deepest volume over a path wins, else the root filesystem', () => {
  const mounts = [
    { containerPath: '/data', hostPath: '/vol/a', readonly: false },
    { containerPath: '/data/deep/', hostPath: '/vol/b', readonly: false },
  ];
  assert.equal(hostPathOf('/usr/bin/sh', '/rootfs', mounts), '/rootfs/usr/bin/sh');
  assert.equal(hostPathOf('/data/x', '/rootfs', mounts), '/vol/a/x');
  assert.equal(hostPathOf('/data', '/rootfs', mounts), '/vol/a');
  assert.equal(hostPathOf('/data/deep/y', '/rootfs', mounts), '/vol/b/y');
  assert.equal(hostPathOf('/database', '/rootfs', mounts), '/rootfs/database');
});

test('runcErrorMessage: the last error record of the JSON log, else the fallback', () => {
  const log = ['{"level":"warning","msg":"w"}', '{"level":"error","msg":"first"}', 'garbage', '{"level":"error","msg":"runc run failed: boom"}', ''].join('\n');
  assert.equal(runcErrorMessage(log, 'x'), 'runc run failed: boom');
  assert.equal(runcErrorMessage('', 'line 1\nlast line\n'), 'last line');
});

test('parseOomKills reads v1 memory.oom_control and v2 memory.events', () => {
  assert.equal(parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), 2);
  assert.equal(parseOomKills('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n'), 1);
  assert.equal(parseOomKills('oom_kill_disable 0\nunder_oom 0\n'), undefined);
});

test('overlay options and mount detection (escaped paths)', () => {
  assert.equal(overlayOptions('/', { upper: '/s/u', work: '/s/w', target: '/s/r' }), 'lowerdir=/,upperdir=/s/u,workdir=/s/w');
  const mountinfo = '36 25 0:32 / /s/r rw - overlay overlay rw\n37 25 0:33 / /a\\040b rw - tmpfs tmpfs rw\n';
  assert.ok(isMountPoint(mountinfo, '/s/r'));
  assert.ok(isMountPoint(mountinfo, '/a b'));
  assert.ok(!isMountPoint(mountinfo, '/s'));
});

test('runcId is a short prefix of the container id', () => {
  assert.equal(runcId('0123456789abcdef'.repeat(4)), '0123456789abcdef');
});

test('chooseRuntime: sandbox only as root with runc and a successful probe', () => {
  assert.deepEqual(chooseRuntime({ uid: 0, runc: '/usr/sbin/runc' }), { name: 'sandbox', runc: '/usr/sbin/runc' });
  assert.deepEqual(chooseRuntime({ uid: 1000, runc: '/usr/sbin/runc' }), { name: 'process', why: 'the agent does not run as root' });
  assert.deepEqual(chooseRuntime({ uid: 0, runc: undefined }), { name: 'process', why: 'runc is not installed' });
  assert.deepEqual(chooseRuntime({ uid: 0, runc: '/usr/sbin/runc', probeFailure: 'cannot mount an overlay root filesystem: permission denied' }), {
    name: 'process',
    why: 'cannot mount an overlay root filesystem: permission denied',
  });
});
