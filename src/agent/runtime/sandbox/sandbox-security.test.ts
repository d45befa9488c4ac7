/**
 * The sandbox runtime applying a container's security context with real runc: identity and
 * groups, capabilities (default, dropped, privileged), no_new_privs and a read-only root, for
 * the container and for commands exec'd into it. Needs what the sandbox runtime needs; skips
 * with the probe's reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerConfig, ContainerStatus, LinuxContainerSecurityContext, PodSandboxConfig } from '../runtime.js';
import { DEFAULT_CAPABILITIES, capabilityMask } from './capabilities.js';
import { cgroupVersion, removeCgroup } from './cgroup.js';
import { sandboxUnavailable } from './probe.js';
import { findRunc } from './runc.js';
import { SandboxRuntime } from './sandbox-runtime.js';

const skip = (await sandboxUnavailable()) ?? false;
if (skip) console.log(`# skipping sandbox security tests: ${skip}`);

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const capEff = (status: string) => /^CapEff:\s*(\S+)$/m.exec(status)?.[1];

describe('sandbox runtime security context', { skip }, () => {
  let rootDir: string;
  let logDir: string;
  let volDir: string;
  let runtime: SandboxRuntime;
  let sandboxId: string;
  const sandbox: PodSandboxConfig = { metadata: { name: 'sec', namespace: 'ns', uid: 'u-sec', attempt: 0 }, hostname: 'sec', logDirectory: '', labels: {}, annotations: {}, hostNetwork: true };

  before(async () => {
    rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-sec-'));
    logDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-sec-logs-'));
    volDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-sandbox-sec-vol-'));
    sandbox.logDirectory = logDir;
    runtime = new SandboxRuntime({ rootDir, runc: (await findRunc())! });
    sandboxId = await runtime.runPodSandbox(sandbox);
  });

  after(async () => {
    await runtime.stopPodSandbox(sandboxId);
    await runtime.removePodSandbox(sandboxId);
    await runtime.close();
    await Promise.all([rootDir, logDir, volDir].map((d) => rm(d, { recursive: true, force: true })));
    await removeCgroup(await cgroupVersion(), '/capstan');
  });

  async function run(name: string, script: string, securityContext: LinuxContainerSecurityContext | undefined, extra: Partial<ContainerConfig> = {}): Promise<string> {
    const config: ContainerConfig = { metadata: { name, attempt: 0 }, image: '', command: ['sh', '-c', script], args: [], env: [], mounts: [], logPath: `${name}/0.log`, labels: {}, annotations: {}, securityContext, ...extra };
    const id = await runtime.createContainer(sandboxId, config, sandbox);
    await runtime.startContainer(id);
    return id;
  }

  const exited = (id: string): Promise<ContainerStatus> =>
    poll(`container ${id} to exit`, async () => {
      const s = await runtime.containerStatus(id);
      return s?.state === 'CONTAINER_EXITED' ? s : undefined;
    });

  async function output(id: string): Promise<string[]> {
    const text = await readFile((await runtime.containerStatus(id))!.logPath, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.split(' ')[1] === 'stdout')
      .map((l) => l.split(' ').slice(3).join(' '));
  }

  test('requested device nodes (GPUs) appear in the container and pass its device cgroup; missing ones are left out', async () => {
    const devices = [
      { containerPath: '/dev/gpu-like', hostPath: '/dev/zero', permissions: 'rw' },
      { containerPath: '/dev/nvidia-missing', hostPath: '/dev/capstan-no-such-device', permissions: 'rw' },
    ];
    const id = await run('dev', 'test -c /dev/gpu-like && head -c 3 /dev/gpu-like | wc -c; test -e /dev/nvidia-missing || echo no-missing', undefined, { devices });
    await exited(id);
    assert.deepEqual(await output(id), ['3', 'no-missing']);
    const without = await run('nodev', 'test -e /dev/gpu-like && echo present || echo absent', undefined);
    await exited(without);
    assert.deepEqual(await output(without), ['absent']);
  });

  test('runAsUser, runAsGroup and supplemental groups, in the container and in exec', async () => {
    const id = await run('ids', 'id -u; id -g; id -G; exec sleep 600', { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000, 2001] });
    const out = await poll('id output', async () => ((await output(id)).length >= 3 ? output(id) : undefined));
    assert.deepEqual(out.slice(0, 2), ['1000', '3000']);
    assert.deepEqual(out[2]!.split(' ').sort(), ['2000', '2001', '3000']);
    const exec = await runtime.execSync(id, ['sh', '-c', 'id -u; id -g; grep -E "CapBnd|CapEff" /proc/self/status'], 10_000);
    assert.equal(exec.exitCode, 0, exec.stderr.toString());
    const lines = exec.stdout.toString().trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['1000', '3000']);
    // The bounding set is the container's; as under containerd, a non-root user's effective set
    // empties at execve (no ambient capabilities).
    assert.equal(/^CapBnd:\s*(\S+)$/m.exec(lines.join('\n'))?.[1], capabilityMask(DEFAULT_CAPABILITIES));
    assert.equal(capEff(lines.join('\n')), '0000000000000000');
    await runtime.stopContainer(id, 0);
  });

  test("the default capability set is containerd's; dropping ALL leaves root unable to chown", async () => {
    const dflt = await run('caps-default', 'grep CapEff /proc/self/status', undefined);
    assert.equal((await exited(dflt)).exitCode, 0);
    assert.equal(capEff((await output(dflt))[0] ?? ''), capabilityMask(DEFAULT_CAPABILITIES));

    const none = await run('caps-none', 'grep CapEff /proc/self/status; touch /tmp/f; if chown 1:1 /tmp/f 2>/dev/null; then echo chowned; else echo denied; fi', {
      capabilities: { addCapabilities: [], dropCapabilities: ['ALL'] },
    });
    const st = await exited(none);
    assert.equal(st.exitCode, 0, st.message);
    const out = await output(none);
    assert.equal(capEff(out[0]!), '0000000000000000');
    assert.equal(out[1], 'denied');
  });

  test('non-root with every capability dropped still leaves its exit status', async () => {
    const id = await run('nobody', 'exit 3', { runAsUser: 65534, capabilities: { addCapabilities: [], dropCapabilities: ['ALL'] } });
    assert.equal((await exited(id)).exitCode, 3);
  });

  test('privileged: the capabilities the agent holds, host devices, writable /sys', async () => {
    const agentEff = capEff(await readFile('/proc/self/status', 'utf8'))!;
    const id = await run('priv', 'grep CapEff /proc/self/status; ls /dev | wc -l; grep " /sys sysfs" /proc/mounts | cut -d" " -f4 | cut -d, -f1', { privileged: true });
    const st = await exited(id);
    assert.equal(st.exitCode, 0, st.message);
    const out = await output(id);
    assert.equal(capEff(out[0]!), agentEff);
    assert.ok(Number(out[1]) > 15, `only ${out[1]} entries in /dev`);
    assert.equal(out[2], 'rw');
  });

  test('allowPrivilegeEscalation false sets NoNewPrivs; a read-only root refuses writes but volumes take them', async () => {
    const id = await run('ro', 'grep NoNewPrivs /proc/self/status; touch /x 2>&1; echo ok > /data/f && echo vol', { noNewPrivs: true, readonlyRootfs: true }, {
      mounts: [{ containerPath: '/data', hostPath: volDir, readonly: false }],
    });
    const st = await exited(id);
    assert.equal(st.exitCode, 0, st.message);
    const out = await output(id);
    assert.match(out[0]!, /^NoNewPrivs:\s+1$/);
    assert.match(out[1]!, /Read-only file system/);
    assert.equal(out[2], 'vol');
  });
});
