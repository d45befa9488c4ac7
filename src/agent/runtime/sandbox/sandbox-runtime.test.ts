/**
 * The sandbox runtime against the shared runtime conformance suite, then what only it does:
 * namespaces, the overlay root filesystem, bind mounts, pod files and OOM kills. These need root
 * and runc, and skip with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runtimeConformanceSuite } from '../conformance.js';
import { bridgeUnavailable, testPodNetwork } from '../../network/test-network.js';
import type { ContainerConfig, ContainerStatus, PodSandboxConfig } from '../runtime.js';
import { cgroupVersion, removeCgroup } from './cgroup.js';
import { sandboxUnavailable } from './probe.js';
import { findRunc } from './runc.js';
import { SandboxRuntime } from './sandbox-runtime.js';

const runc = await findRunc();
// Root and runc are not enough (no overlayfs, read-only cgroups): the agent's own probe decides.
const skip = (await sandboxUnavailable()) ?? false;
if (skip) console.log(`# skipping sandbox runtime tests: ${skip}`);

if (!skip) {
  runtimeConformanceSuite('sandbox', async (events) => {
    const rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-runtime-'));
    return {
      runtime: new SandboxRuntime({ rootDir, runc: runc!, events }),
      reopen: async () => new SandboxRuntime({ rootDir, runc: runc!, events }),
      cleanup: () => rm(rootDir, { recursive: true, force: true }),
    };
  });
  // The same suite in bridge mode: the OCI spec joins the pod's network namespace.
  const noBridge = await bridgeUnavailable();
  if (noBridge) {
    console.log(`# skipping the sandbox runtime's bridge-mode conformance: ${noBridge}`);
  } else {
    const net = await testPodNetwork(`cps${process.pid % 100000}`, '10.42.253.0/24');
    after(() => net.cleanup());
    runtimeConformanceSuite(
      'sandbox (bridge network)',
      async (events) => {
        const rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-runtime-'));
        return {
          runtime: new SandboxRuntime({ rootDir, runc: runc!, events, network: net.network }),
          reopen: async () => new SandboxRuntime({ rootDir, runc: runc!, events, network: net.network }),
          cleanup: () => rm(rootDir, { recursive: true, force: true }),
        };
      },
      { bridge: { podCidr: net.podCidr } },
    );
  }
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sandbox runtime', { skip }, () => {
  let rootDir: string;
  let logDir: string;
  let volDir: string;
  let runtime: SandboxRuntime;
  let sandboxId: string;
  const sandbox: PodSandboxConfig = {
    metadata: { name: 'sb', namespace: 'ns', uid: 'u1', attempt: 0 },
    hostname: 'sandboxed-pod',
    logDirectory: '',
    labels: {},
    annotations: {},
    hostNetwork: true,
  };

  before(async () => {
    rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-runtime-'));
    logDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-logs-'));
    volDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-vol-'));
    sandbox.logDirectory = logDir;
    runtime = new SandboxRuntime({ rootDir, runc: runc! });
    sandboxId = await runtime.runPodSandbox(sandbox);
  });

  after(async () => {
    await runtime.stopPodSandbox(sandboxId);
    await runtime.removePodSandbox(sandboxId);
    await runtime.close();
    assert.equal(existsSync(path.join('/sys/fs/cgroup/memory/capstan', sandboxId.slice(0, 16))), false, 'the pod cgroup is removed');
    await Promise.all([rootDir, logDir, volDir].map((d) => rm(d, { recursive: true, force: true })));
    // The shared parent cgroup goes too once nothing else uses it (rmdir fails on a busy one).
    await removeCgroup(await cgroupVersion(), '/capstan');
  });

  const config = (name: string, script: string, extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
    metadata: { name, attempt: 0 },
    image: '',
    command: ['sh', '-c', script],
    args: [],
    env: [],
    mounts: [],
    logPath: `${name}/0.log`,
    labels: {},
    annotations: {},
    ...extra,
  });

  async function run(name: string, script: string, extra: Partial<ContainerConfig> = {}): Promise<string> {
    const id = await runtime.createContainer(sandboxId, config(name, script, extra), sandbox);
    await runtime.startContainer(id);
    return id;
  }

  async function exited(id: string): Promise<ContainerStatus> {
    return poll(`container ${id} to exit`, async () => {
      const s = await runtime.containerStatus(id);
      return s?.state === 'CONTAINER_EXITED' ? s : undefined;
    });
  }

  async function stdout(id: string): Promise<string[]> {
    const file = (await runtime.containerStatus(id))!.logPath;
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.split(' ')[1] === 'stdout')
      .map((l) => l.split(' ').slice(3).join(' '));
  }

  test('the container has its own PID namespace and the pod hostname and files', async () => {
    // PID 1 is the init wrapper; the command is its child, and sees only the container's processes.
    const id = await run('ns', 'echo "parent $PPID"; tr "\\0" " " < /proc/1/cmdline | grep -q capstan-init && echo init; ls /proc | grep -c "^[0-9]"; hostname; cat /etc/hostname; grep -q . /etc/resolv.conf && echo resolv');
    const st = await exited(id);
    assert.equal(st.exitCode, 0, st.message);
    const out = await stdout(id);
    assert.equal(out[0], 'parent 1');
    assert.equal(out[1], 'init');
    // init, the command, ls and grep
    assert.ok(Number(out[2]) <= 4, `the container sees ${out[2]} processes`);
    assert.deepEqual(out.slice(3), ['sandboxed-pod', 'sandboxed-pod', 'resolv']);
  });

  test('writes to / land in the private upper layer; the host file is untouched', async () => {
    const id = await run('writer', 'echo changed > /etc/capstan-sandbox-test; echo changed >> /etc/profile; cat /etc/capstan-sandbox-test');
    const hostProfile = await readFile('/etc/profile', 'utf8').catch(() => undefined);
    const st = await exited(id);
    assert.equal(st.exitCode, 0, st.message);
    assert.deepEqual(await stdout(id), ['changed']);
    assert.equal(existsSync('/etc/capstan-sandbox-test'), false);
    assert.equal(await readFile('/etc/profile', 'utf8').catch(() => undefined), hostProfile);
    assert.ok(!(hostProfile ?? '').includes('changed'));
    const upper = path.join(rootDir, 'containers', id, 'bundle', 'upper', 'etc', 'capstan-sandbox-test');
    assert.equal(await readFile(upper, 'utf8'), 'changed\n');
  });

  test('volumes are bind-mounted; a read-only one refuses writes', async () => {
    await writeFile(path.join(volDir, 'hello'), 'from the host\n');
    const id = await run('vols', 'cat /data/hello; echo back > /data/reply; if echo x > /ro/denied 2>/dev/null; then echo writable; else echo read-only; fi', {
      mounts: [
        { containerPath: '/data', hostPath: volDir, readonly: false },
        { containerPath: '/ro', hostPath: volDir, readonly: true },
      ],
    });
    const st = await exited(id);
    assert.equal(st.exitCode, 0, st.message);
    assert.deepEqual(await stdout(id), ['from the host', 'read-only']);
    assert.equal(await readFile(path.join(volDir, 'reply'), 'utf8'), 'back\n');
    assert.equal(existsSync(path.join(volDir, 'denied')), false);
  });

  test('a memory hog over its limit is OOMKilled (137) while a sibling keeps running', async () => {
    const sibling = await run('sibling', 'while :; do sleep 0.1; done');
    // tail buffers a line that never ends: its memory grows until the limit.
    const hog = await run('hog', 'exec tail /dev/zero', { resources: { memoryLimitBytes: 32 * 1024 * 1024 } });
    const st = await exited(hog);
    assert.equal(st.exitCode, 137);
    assert.equal(st.reason, 'OOMKilled');
    assert.equal((await runtime.containerStatus(sibling))?.state, 'CONTAINER_RUNNING');
    await runtime.stopContainer(sibling, 0);
  });
});
