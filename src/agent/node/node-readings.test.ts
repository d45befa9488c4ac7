import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cpuMillis,
  firstExternalIPv4,
  fsReadingFromStatfs,
  goArch,
  parseCfsQuota,
  parseCpuMax,
  parseLoadavgTasks,
  parseMachineId,
  parseMeminfo,
  parseOsReleasePrettyName,
  parseProcSelfCgroup,
  pidLimit,
  readHostReadings,
} from './node-readings.js';

const meminfo = `MemTotal:       16384000 kB
MemFree:         1000000 kB
MemAvailable:    8192000 kB
Buffers:          200000 kB
Cached:          3000000 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

describe('file parsers', () => {
  test('meminfo: MemTotal and MemAvailable in bytes', () => {
    assert.deepEqual(parseMeminfo(meminfo), { totalBytes: 16384000 * 1024, availableBytes: 8192000 * 1024 });
  });

  test('meminfo without MemAvailable estimates free + buffers + cached', () => {
    const old = meminfo.replace(/^MemAvailable.*\n/m, '');
    assert.equal(parseMeminfo(old).availableBytes, (1000000 + 200000 + 3000000) * 1024);
    assert.deepEqual(parseMeminfo(''), { totalBytes: 0, availableBytes: 0 });
  });

  test('loadavg field 4 is running/total', () => {
    assert.deepEqual(parseLoadavgTasks('0.85 1.19 1.47 3/117 27318\n'), { running: 3, total: 117 });
    assert.equal(parseLoadavgTasks('0.85 1.19'), undefined);
    assert.equal(parseLoadavgTasks('a b c x/y z'), undefined);
  });

  test('pid limit is the smaller of pid_max and threads-max', () => {
    assert.equal(pidLimit(4194304, 192730), 192730);
    assert.equal(pidLimit(32768, undefined), 32768);
    assert.equal(pidLimit(undefined, undefined), 32768);
  });

  test('machine-id and product_uuid are trimmed first lines', () => {
    assert.equal(parseMachineId('3d1219c7c4c5404aaa1f6d2a48adfda4\n'), '3d1219c7c4c5404aaa1f6d2a48adfda4');
    assert.equal(parseMachineId(''), '');
  });

  test('os-release PRETTY_NAME: double, single and no quotes; fallback Linux', () => {
    assert.equal(parseOsReleasePrettyName('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(parseOsReleasePrettyName("PRETTY_NAME='Alpine Linux v3.19'"), 'Alpine Linux v3.19');
    assert.equal(parseOsReleasePrettyName('PRETTY_NAME=Fedora'), 'Fedora');
    assert.equal(parseOsReleasePrettyName('PRETTY_NAME="Say \\"hi\\""'), 'Say "hi"');
    assert.equal(parseOsReleasePrettyName('NAME=x\n'), 'Linux');
    assert.equal(parseOsReleasePrettyName('PRETTY_NAME=""'), 'Linux');
  });

  test('/proc/self/cgroup: unified path and the v1 cpu controller', () => {
    assert.deepEqual(parseProcSelfCgroup('0::/system.slice/capstan.service\n'), { unified: '/system.slice/capstan.service' });
    assert.deepEqual(parseProcSelfCgroup('4:memory:/x\n2:cpu,cpuacct:/kube/pod1\n0::/\n'), { unified: '/', v1cpu: '/kube/pod1' });
  });

  test('cpu.max and CFS quota as CPUs', () => {
    assert.equal(parseCpuMax('max 100000\n'), undefined);
    assert.equal(parseCpuMax('150000 100000\n'), 1.5);
    assert.equal(parseCpuMax('200000'), 2);
    assert.equal(parseCpuMax(''), undefined);
    assert.equal(parseCpuMax('0 100000'), undefined);
    assert.equal(parseCfsQuota('-1\n', '100000\n'), undefined);
    assert.equal(parseCfsQuota('50000\n', '100000\n'), 0.5);
  });

  test('cpu millicores: online CPUs lowered by a quota, never raised', () => {
    assert.equal(cpuMillis(8), 8000);
    assert.equal(cpuMillis(8, 1.5), 1500);
    assert.equal(cpuMillis(2, 16), 2000);
    assert.equal(cpuMillis(2, 0.0001), 1);
  });

  test('statfs: blocks × block size and inodes', () => {
    assert.deepEqual(fsReadingFromStatfs({ bsize: 4096, blocks: 1000, bavail: 250, files: 64, ffree: 60 }), { capacityBytes: 4096000, availableBytes: 1024000, inodes: 64, inodesFree: 60 });
  });

  test('GOARCH names', () => {
    assert.equal(goArch('x64'), 'amd64');
    assert.equal(goArch('arm64'), 'arm64');
    assert.equal(goArch('ia32'), '386');
    assert.equal(goArch('ppc64', 'LE'), 'ppc64le');
    assert.equal(goArch('ppc64', 'BE'), 'ppc64');
    assert.equal(goArch('mipsel'), 'mipsle');
    assert.equal(goArch('s390x'), 's390x');
  });

  test('first non-internal IPv4 address', () => {
    const ifaces = {
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null }],
      eth0: [
        { address: 'fd00::2', netmask: '', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid: 0 },
        { address: '192.0.2.2', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: null },
      ],
    } as unknown as NodeJS.Dict<os.NetworkInterfaceInfo[]>;
    assert.equal(firstExternalIPv4(ifaces), '192.0.2.2');
    assert.equal(firstExternalIPv4({ lo: ifaces.lo }), undefined);
  });
});

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [p, text] of Object.entries(files)) {
    await fsp.mkdir(path.join(root, path.dirname(p)), { recursive: true });
    await fsp.writeFile(path.join(root, p), text);
  }
}

describe('readHostReadings', () => {
  test('reads a fake host tree', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'capstan-readings-'));
    try {
      await writeTree(root, {
        'proc/meminfo': meminfo,
        'proc/loadavg': '0.10 0.20 0.30 2/345 999\n',
        'proc/sys/kernel/pid_max': '4194304\n',
        'proc/sys/kernel/threads-max': '100000\n',
        'proc/sys/kernel/random/boot_id': 'b0b0b0b0-1111-2222-3333-444444444444\n',
        'proc/self/cgroup': '0::/kubepods/pod1\n',
        'sys/fs/cgroup/kubepods/cpu.max': '50000 100000\n',
        'sys/fs/cgroup/kubepods/pod1/cpu.max': 'max 100000\n',
        'etc/os-release': 'PRETTY_NAME="Test OS 1"\n',
        'var/lib/dbus/machine-id': 'abcdef0123456789abcdef0123456789\n',
      });
      const dataDir = path.join(root, 'not', 'made', 'yet');
      const r = await readHostReadings(dataDir, { root, hostname: 'Node-A', networkInterfaces: () => ({}) });
      assert.equal(r.cpuMillis, 500);
      assert.equal(r.memoryCapacityBytes, 16384000 * 1024);
      assert.equal(r.memoryAvailableBytes, 8192000 * 1024);
      assert.deepEqual(r.pid, { max: 100000, running: 345 });
      assert.equal(r.bootID, 'b0b0b0b0-1111-2222-3333-444444444444');
      assert.equal(r.machineID, 'abcdef0123456789abcdef0123456789');
      assert.equal(r.systemUUID, r.machineID, 'no product_uuid: falls back to the machine id');
      assert.equal(r.osImage, 'Test OS 1');
      assert.equal(r.operatingSystem, 'linux');
      assert.equal(r.hostname, 'node-a');
      assert.deepEqual(r.addresses, [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: 'node-a' },
      ]);
      assert.ok(r.fs.capacityBytes > 0 && r.fs.availableBytes <= r.fs.capacityBytes, 'statfs of the nearest existing ancestor');

      await writeTree(root, { 'sys/class/dmi/id/product_uuid': 'EC2A-UUID\n', 'etc/machine-id': 'from-etc\n' });
      const r2 = await readHostReadings(root, { root, nodeIP: '10.0.0.5' });
      assert.equal(r2.machineID, 'from-etc');
      assert.equal(r2.systemUUID, 'EC2A-UUID');
      assert.deepEqual(r2.addresses[0], { type: 'InternalIP', address: '10.0.0.5' });
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });

  test('reads this host', async () => {
    const r = await readHostReadings(os.tmpdir());
    assert.ok(r.cpuMillis >= 1 && r.cpuMillis <= os.availableParallelism() * 1000);
    assert.ok(r.memoryCapacityBytes > 0 && r.memoryAvailableBytes <= r.memoryCapacityBytes);
    assert.ok(r.pid.max > 0 && r.pid.running > 0);
    assert.equal(r.kernelVersion, os.release());
    assert.equal(r.architecture, goArch(process.arch, os.endianness()));
    assert.equal(r.addresses.length, 2);
  });
});
