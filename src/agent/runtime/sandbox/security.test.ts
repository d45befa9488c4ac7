/**
 * The sandbox runtime's security decisions: capability sets, the process identity from the
 * container's passwd and group files, and what a security context changes in the OCI config.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITY_NAMES, DEFAULT_CAPABILITIES, capabilitiesFromMask, capabilityMask, capabilityName, containerCapabilities, heldCapabilities } from './capabilities.js';
import { parseGroup, parsePasswd, resolveProcessUser } from './container-user.js';
import { splitDeviceNumber } from './host-devices.js';
import { ociSpec, type OciSpecInput } from './oci-spec.js';
import { RUNC_MASKED_PATHS } from './oci-security.js';

const ALL = CAPABILITY_NAMES.slice(0, 41);

describe('capabilities', () => {
  test('names with or without CAP_, in any case', () => {
    assert.equal(capabilityName('net_admin'), 'CAP_NET_ADMIN');
    assert.equal(capabilityName('CAP_SYS_TIME'), 'CAP_SYS_TIME');
    assert.equal(capabilityName('all'), 'ALL');
  });

  test("containerd's default set when nothing is asked", () => {
    assert.deepEqual(containerCapabilities(undefined, ALL), DEFAULT_CAPABILITIES);
    assert.deepEqual(containerCapabilities({}, ALL), DEFAULT_CAPABILITIES);
  });

  test('add then drop; a drop wins over an add of the same capability', () => {
    const caps = containerCapabilities({ capabilities: { addCapabilities: ['NET_ADMIN', 'CAP_SYS_TIME', 'chown'], dropCapabilities: ['KILL', 'SYS_TIME'] } }, ALL);
    assert.ok(caps.includes('CAP_NET_ADMIN'));
    assert.ok(!caps.includes('CAP_SYS_TIME'));
    assert.ok(!caps.includes('CAP_KILL'));
    assert.equal(caps.filter((c) => c === 'CAP_CHOWN').length, 1);
  });

  test('drop ALL leaves only what is added; add ALL gives what the agent holds less the drops', () => {
    assert.deepEqual(containerCapabilities({ capabilities: { addCapabilities: [], dropCapabilities: ['ALL'] } }, ALL), []);
    assert.deepEqual(containerCapabilities({ capabilities: { addCapabilities: ['NET_BIND_SERVICE'], dropCapabilities: ['all'] } }, ALL), ['CAP_NET_BIND_SERVICE']);
    const added = containerCapabilities({ capabilities: { addCapabilities: ['ALL'], dropCapabilities: ['CHOWN'] } }, ALL);
    assert.equal(added.length, ALL.length - 1);
    assert.ok(!added.includes('CAP_CHOWN'));
  });

  test('privileged: every capability the agent holds, whatever add and drop say', () => {
    assert.deepEqual(containerCapabilities({ privileged: true, capabilities: { addCapabilities: [], dropCapabilities: ['ALL'] } }, ALL), ALL);
  });

  test('masks in /proc/<pid>/status', () => {
    assert.deepEqual(capabilitiesFromMask('0000000000000003'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
    assert.deepEqual(heldCapabilities('Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n'), ALL);
    assert.equal(capabilityMask(DEFAULT_CAPABILITIES), '00000000a80425fb');
    assert.equal(capabilityMask(ALL), '000001ffffffffff');
  });
});

describe('process identity', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\n# comment\nbad line\napp:x:1000:1001::/home/app:/bin/sh\n';
  const group = 'root:x:0:\nbin:x:1:root,daemon\napp:x:1001:app\nstaff:x:50:app,other\nbroken\n';

  test('parses passwd and group files, skipping malformed lines', () => {
    assert.deepEqual(parsePasswd(passwd), [
      { name: 'root', uid: 0, gid: 0 },
      { name: 'app', uid: 1000, gid: 1001 },
    ]);
    assert.deepEqual(parseGroup(group)[1], { name: 'bin', gid: 1, members: ['root', 'daemon'] });
    assert.equal(parseGroup(group).length, 4);
  });

  test('no runAsUser: root with the groups root is listed in', () => {
    assert.deepEqual(resolveProcessUser(undefined, { passwd, group }), { uid: 0, gid: 0, additionalGids: [0, 1] });
  });

  test("runAsUser alone: the user's primary group from passwd and its memberships, then the supplemental groups", () => {
    assert.deepEqual(resolveProcessUser({ runAsUser: 1000, supplementalGroups: [2000, 50] }, { passwd, group }), { uid: 1000, gid: 1001, additionalGids: [1001, 50, 2000] });
  });

  test('a uid without a passwd entry gets gid 0; runAsGroup wins over passwd', () => {
    assert.deepEqual(resolveProcessUser({ runAsUser: 4242 }, { passwd, group }), { uid: 4242, gid: 0, additionalGids: [0] });
    assert.deepEqual(resolveProcessUser({ runAsUser: 1000, runAsGroup: 3000 }, { passwd, group }), { uid: 1000, gid: 3000, additionalGids: [3000, 50] });
    assert.deepEqual(resolveProcessUser({ runAsGroup: 3000 }, { passwd: '', group: '' }), { uid: 0, gid: 3000, additionalGids: [3000] });
  });
});

describe('OCI config from the security context', () => {
  const input: OciSpecInput = {
    rootfs: '/b/rootfs',
    hostname: 'h',
    args: ['/bin/true'],
    env: [],
    cwd: '/',
    podFiles: [],
    mounts: [{ containerPath: '/data', hostPath: '/vol', readonly: false }],
    statusDir: { hostPath: '/s', containerPath: '/dev/.init' },
    cgroupsPath: '/capstan/sb/c',
    hostNetwork: true,
  };
  const sysOptions = (spec: ReturnType<typeof ociSpec>) => spec.mounts.find((m) => m.destination === '/sys')!.options;

  test('defaults: root, the default capabilities, no ambient set, runc masks, writable root', () => {
    const spec = ociSpec(input);
    assert.deepEqual(spec.process.user, { uid: 0, gid: 0 });
    assert.deepEqual(spec.process.capabilities, { bounding: DEFAULT_CAPABILITIES, effective: DEFAULT_CAPABILITIES, permitted: DEFAULT_CAPABILITIES, ambient: [] });
    assert.equal(spec.process.noNewPrivileges, false);
    assert.equal(spec.root.readonly, false);
    assert.deepEqual(spec.linux.maskedPaths, RUNC_MASKED_PATHS);
    assert.deepEqual(spec.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
    assert.ok(sysOptions(spec).includes('ro'));
    assert.equal(spec.linux.devices, undefined);
  });

  test('user, groups, capabilities, read-only root, no_new_privs and the kubelet paths', () => {
    const spec = ociSpec({
      ...input,
      securityContext: { readonlyRootfs: true, noNewPrivs: true, capabilities: { addCapabilities: [], dropCapabilities: ['ALL'] }, maskedPaths: ['/proc/kcore'], readonlyPaths: [] },
      user: { uid: 1000, gid: 3000, additionalGids: [3000, 2000] },
      allCapabilities: ALL,
    });
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 3000, additionalGids: [3000, 2000] });
    assert.deepEqual(spec.process.capabilities, { bounding: [], effective: [], permitted: [], ambient: [] });
    assert.equal(spec.process.noNewPrivileges, true);
    assert.equal(spec.root.readonly, true);
    // Volumes stay writable on a read-only root.
    assert.deepEqual(spec.mounts.find((m) => m.destination === '/data')!.options, ['rbind', 'rprivate', 'rw']);
    assert.deepEqual([spec.linux.maskedPaths, spec.linux.readonlyPaths], [['/proc/kcore'], []]);
  });

  test('privileged: all capabilities, host devices, every device allowed, no masks, writable /sys', () => {
    const dev = { path: '/dev/loop0', type: 'b' as const, major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 6 };
    const spec = ociSpec({ ...input, securityContext: { privileged: true, maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'] }, allCapabilities: ALL, hostDevices: [dev] });
    assert.deepEqual(spec.process.capabilities.effective, ALL);
    assert.deepEqual(spec.linux.devices, [dev]);
    assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
    assert.deepEqual([spec.linux.maskedPaths, spec.linux.readonlyPaths], [[], []]);
    assert.ok(!sysOptions(spec).includes('ro'));
    assert.ok(!spec.mounts.find((m) => m.destination === '/sys/fs/cgroup')!.options.includes('ro'));
  });
});

test('device numbers: major and minor of a dev_t', () => {
  assert.deepEqual(splitDeviceNumber(0x0103n), { major: 1, minor: 3 });
  assert.deepEqual(splitDeviceNumber(BigInt((259 << 8) | 5)), { major: 259, minor: 5 });
  assert.deepEqual(splitDeviceNumber((0x12n << 20n) | (4n << 8n) | 0x34n), { major: 4, minor: 0x1234 });
});
