/**
 * The process runtime against the shared runtime conformance suite, then what only the process
 * runtime does: its config checks, environment, process groups, exit files and re-adoption edge
 * cases, log rotation, and its pure decisions.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCriLog, runtimeConformanceSuite } from '../conformance.js';
import { bridgeUnavailable, testPodNetwork } from '../../network/test-network.js';
import { netnsName } from '../../network/netns.js';
import { RuntimeError, type ContainerConfig, type ContainerStatus, type PodSandboxConfig } from '../runtime.js';
import { containerEnvironment, DEFAULT_PATH, resolveExecutable, workingDirError } from './container-env.js';
import { decideExit, exitCodeOf } from './exit-status.js';
import { livenessFromStat, parseProcStat } from './proc.js';
import { ProcessRuntime, processRuntimeConfigError } from './process-runtime.js';

runtimeConformanceSuite('process', async (events) => {
  const rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-process-runtime-'));
  return {
    runtime: new ProcessRuntime({ rootDir, events }),
    reopen: async () => new ProcessRuntime({ rootDir, events }),
    cleanup: () => rm(rootDir, { recursive: true, force: true }),
  };
});

// The same suite in bridge mode: containers run in their pod's network namespace.
const noBridge = await bridgeUnavailable();
if (noBridge) {
  console.log(`# skipping the process runtime's bridge-mode conformance: ${noBridge}`);
} else {
  const net = await testPodNetwork(`cpp${process.pid % 100000}`, '10.42.252.0/24');
  after(() => net.cleanup());
  runtimeConformanceSuite(
    'process (bridge network)',
    async (events) => {
      const rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-process-runtime-'));
      return {
        runtime: new ProcessRuntime({ rootDir, events, network: net.network }),
        reopen: async () => new ProcessRuntime({ rootDir, events, network: net.network }),
        cleanup: () => rm(rootDir, { recursive: true, force: true }),
      };
    },
    { bridge: { podCidr: net.podCidr } },
  );

  describe('process runtime in bridge mode', () => {
    test("a pod's processes read its own hosts file and resolv.conf; removing the sandbox removes them", async () => {
      const rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-process-runtime-'));
      const logDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-runtime-logs-'));
      const rt = new ProcessRuntime({ rootDir, network: net.network });
      try {
        const config: PodSandboxConfig = {
          metadata: { name: 'db-0', namespace: 'prod', uid: 'uid-db-0', attempt: 0 },
          hostname: 'db-0',
          logDirectory: path.join(logDir, 'prod_db-0_uid-db-0'),
          labels: {},
          annotations: {},
          hostNetwork: false,
          dns: { servers: ['10.43.0.10'], searches: ['prod.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
          hostDomain: 'db.prod.svc.cluster.local',
          hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.remote', 'bar.remote'] }],
        };
        const sb = await rt.runPodSandbox(config);
        const ip = (await rt.podSandboxStatus(sb))?.ips[0];
        const etcDir = path.join('/etc/netns', netnsName(sb));
        const c: ContainerConfig = { metadata: { name: 'c', attempt: 0 }, image: 'x', command: ['sleep', '60'], args: [], env: [], mounts: [], logPath: 'c/0.log', labels: {}, annotations: {} };
        const id = await rt.createContainer(sb, c, config);
        await rt.startContainer(id);
        const hosts = (await rt.execSync(id, ['cat', '/etc/hosts'], 10_000)).stdout.toString();
        assert.match(hosts, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
        assert.ok(hosts.endsWith(`${ip}\tdb-0.db.prod.svc.cluster.local\tdb-0\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\tbar.remote\n`), hosts);
        const resolv = (await rt.execSync(id, ['cat', '/etc/resolv.conf'], 10_000)).stdout.toString();
        assert.equal(resolv, 'search prod.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n');
        // The names resolve through the pod's hosts file (ahostsv4: `hosts` asks for IPv6 first, which falls
        // through to DNS, absent here); the host's own files are untouched.
        assert.equal((await rt.execSync(id, ['getent', 'ahostsv4', 'foo.remote'], 10_000)).stdout.toString().trim().split(/\s+/)[0], '10.1.2.3');
        assert.doesNotMatch(await readFile('/etc/hosts', 'utf8'), /foo\.remote/);
        assert.ok(readFileSync(path.join(etcDir, 'hosts'), 'utf8').includes('foo.remote'));
        await rt.stopPodSandbox(sb);
        await rt.removePodSandbox(sb);
        await assert.rejects(readFile(path.join(etcDir, 'hosts')), { code: 'ENOENT' });
        await assert.rejects(readFile(etcDir), { code: 'ENOENT' });
      } finally {
        for (const s of await rt.listPodSandboxes()) {
          await rt.stopPodSandbox(s.id);
          await rt.removePodSandbox(s.id);
        }
        await rt.close();
        await rm(rootDir, { recursive: true, force: true });
        await rm(logDir, { recursive: true, force: true });
      }
    });
  });
}

// ---- process-specific behaviour ----


async function poll<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pidAlive(pid: number): boolean {
  try {
    const st = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return st !== undefined && st.state !== 'Z';
  } catch {
    return false;
  }
}


/** A runtime on a temp state directory that can be reopened; `done` kills everything and cleans up. */
async function world(opts: { logMaxBytes?: number; logMaxFiles?: number } = {}) {
  const rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-process-runtime-'));
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-process-logs-'));
  const exits: ContainerStatus[] = [];
  const open = () => new ProcessRuntime({ rootDir, ...opts, events: { onContainerExit: (s) => exits.push(s) } });
  let runtime = open();
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', attempt: 0 },
    hostname: 'p-host',
    logDirectory: logDir,
    labels: {},
    annotations: {},
    hostNetwork: true,
  };
  const sandboxId = await runtime.runPodSandbox(sandboxConfig);
  const config = (name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
    metadata: { name, attempt: 0 },
    image: '',
    command,
    args: [],
    env: [],
    mounts: [],
    logPath: `${name}/0.log`,
    labels: {},
    annotations: {},
    ...extra,
  });
  return {
    rootDir,
    logDir,
    exits,
    get runtime() {
      return runtime;
    },
    config,
    create: (name: string, command: string[], extra: Partial<ContainerConfig> = {}) => runtime.createContainer(sandboxId, config(name, command, extra), sandboxConfig),
    async run(name: string, command: string[], extra: Partial<ContainerConfig> = {}) {
      const id = await runtime.createContainer(sandboxId, config(name, command, extra), sandboxConfig);
      await runtime.startContainer(id);
      return id;
    },
    async reopen() {
      await runtime.close();
      runtime = open();
      return runtime;
    },
    async state(id: string) {
      return JSON.parse(await readFile(path.join(rootDir, 'containers', id, 'container.json'), 'utf8')) as { process?: { pid: number; startTime: string | null } };
    },
    waitExited: (id: string) => poll(`${id} to exit`, async () => {
      const s = await runtime.containerStatus(id);
      return s?.state === 'CONTAINER_EXITED' ? s : undefined;
    }),
    async done() {
      try {
        await runtime.stopPodSandbox(sandboxId);
        await runtime.removePodSandbox(sandboxId);
      } finally {
        await runtime.close();
        await rm(rootDir, { recursive: true, force: true });
        await rm(logDir, { recursive: true, force: true });
      }
    },
  };
}

describe('process runtime specifics', () => {
  test('volumeMounts are refused with the way out', async () => {
    const w = await world();
    try {
      await assert.rejects(
        w.create('vol', ['true'], { mounts: [{ containerPath: '/data', hostPath: '/tmp', readonly: false }] }),
        (err: unknown) => err instanceof RuntimeError && err.reason === 'CreateContainerError' && /volumeMounts/.test(err.message) && /root/.test(err.message) && /runc/.test(err.message) && /"vol"/.test(err.message),
      );
    } finally {
      await w.done();
    }
  });

  test('the environment is exactly env plus PATH and HOSTNAME, which env may override', async () => {
    const w = await world();
    try {
      const a = await w.run('plain', ['env'], { env: [{ name: 'A', value: '1' }] });
      const b = await w.run('custom', ['env'], {
        env: [
          { name: 'PATH', value: '/bin:/usr/bin' },
          { name: 'HOSTNAME', value: 'mine' },
          { name: 'PWD', value: '/elsewhere' },
        ],
      });
      const lines = async (id: string) => {
        const st = await w.waitExited(id);
        return parseCriLog(await readFile(st.logPath, 'utf8'))
          .map((r) => r.content)
          .sort();
      };
      assert.deepEqual(await lines(a), ['A=1', 'HOSTNAME=p-host', `PATH=${DEFAULT_PATH}`]);
      assert.deepEqual(await lines(b), ['HOSTNAME=mine', 'PATH=/bin:/usr/bin', 'PWD=/elsewhere']);
    } finally {
      await w.done();
    }
  });

  test('a missing workingDir fails the start; the container is left exited with StartError, as containerd does', async () => {
    const w = await world();
    try {
      const id = await w.create('nowhere', ['true'], { workingDir: '/no/such/dir' });
      await assert.rejects(w.runtime.startContainer(id), (err: unknown) => err instanceof RuntimeError && err.reason === 'RunContainerError' && err.message.includes('chdir to cwd ("/no/such/dir")'));
      const st = await w.runtime.containerStatus(id);
      assert.equal(st?.state, 'CONTAINER_EXITED');
      assert.equal(st?.exitCode, 128);
      assert.equal(st?.reason, 'StartError');
      assert.match(st?.message ?? '', /no such file or directory/);
    } finally {
      await w.done();
    }
  });

  test('what a container leaves behind in its process group dies with it', async () => {
    const w = await world();
    try {
      const id = await w.run('forker', ['sh', '-c', 'sleep 60 & echo $!']);
      const st = await w.waitExited(id);
      assert.equal(st.exitCode, 0);
      const pid = Number(parseCriLog(await readFile(st.logPath, 'utf8'))[0]?.content);
      assert.ok(pid > 0);
      await poll('the background sleep to be gone', () => (pidAlive(pid) ? undefined : true));
    } finally {
      await w.done();
    }
  });

  test('an exit while no runtime watched is read from the exit file', async () => {
    const w = await world();
    const flag = path.join(w.rootDir, 'go');
    try {
      const id = await w.run('waiter', ['sh', '-c', `while [ ! -e ${flag} ]; do sleep 0.05; done; exit 5`]);
      const { process: proc } = await w.state(id);
      await w.runtime.close();
      await writeFile(flag, '');
      await poll('the container to exit', () => (pidAlive(proc!.pid) ? undefined : true));
      const rt = await w.reopen();
      const st = await rt.containerStatus(id);
      assert.equal(st?.state, 'CONTAINER_EXITED');
      assert.equal(st?.exitCode, 5);
      assert.equal(st?.reason, 'Error');
      assert.ok(st!.finishedAt >= st!.startedAt);
      assert.ok(w.exits.some((e) => e.id === id && e.exitCode === 5));
    } finally {
      await w.done();
    }
  });

  test('a container killed while no runtime watched is reported as SIGKILLed', async () => {
    const w = await world();
    try {
      const id = await w.run('victim', ['sleep', '60']);
      const { process: proc } = await w.state(id);
      await w.runtime.close();
      process.kill(-proc!.pid, 'SIGKILL');
      await poll('the container to die', () => (pidAlive(proc!.pid) ? undefined : true));
      const st = await (await w.reopen()).containerStatus(id);
      assert.equal(st?.state, 'CONTAINER_EXITED');
      assert.equal(st?.exitCode, 137);
      assert.match(st?.message ?? '', /not watching/);
    } finally {
      await w.done();
    }
  });

  test('a recorded pid that now belongs to another process is not adopted nor signalled', async () => {
    const w = await world();
    const stranger = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    try {
      const id = await w.run('short', ['sleep', '60']);
      await w.runtime.close();
      // Point the record at an unrelated process, as if the pid had been reused.
      const file = path.join(w.rootDir, 'containers', id, 'container.json');
      const rec = JSON.parse(await readFile(file, 'utf8'));
      const realPid = rec.process.pid as number;
      rec.process = { pid: stranger.pid, startTime: '1' };
      await writeFile(file, JSON.stringify(rec));
      const st = await (await w.reopen()).containerStatus(id);
      assert.equal(st?.state, 'CONTAINER_EXITED');
      assert.ok(pidAlive(stranger.pid!), 'the unrelated process is untouched');
      process.kill(-realPid, 'SIGKILL');
    } finally {
      stranger.kill('SIGKILL');
      await w.done();
    }
  });

  test('output written while no runtime reads blocks rather than fails, and reaches the log later', async () => {
    const w = await world();
    const flag = path.join(w.rootDir, 'go');
    try {
      // 200 KB is more than a pipe holds, so the container cannot finish without a reader.
      const script = `while [ ! -e ${flag} ]; do sleep 0.05; done; head -c 200000 /dev/zero | tr '\\000' x | fold -w 100; echo; echo end`;
      const id = await w.run('chatty', ['sh', '-c', script]);
      await w.runtime.close();
      await writeFile(flag, '');
      const rt = await w.reopen();
      assert.equal((await rt.containerStatus(id))?.state, 'CONTAINER_RUNNING');
      const st = await w.waitExited(id);
      assert.equal(st.exitCode, 0);
      const records = parseCriLog(await readFile(st.logPath, 'utf8'));
      assert.equal(records.length, 2001);
      assert.equal(records.at(-1)?.content, 'end');
    } finally {
      await w.done();
    }
  });

  test('logs rotate at logMaxBytes and keep at most logMaxFiles files', async () => {
    const w = await world({ logMaxBytes: 1000, logMaxFiles: 3 });
    try {
      const id = await w.run('rotor', ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done']);
      const st = await w.waitExited(id);
      const names = (await readdir(path.dirname(st.logPath))).sort();
      assert.equal(names.length, 3);
      assert.ok(names.includes('0.log'));
      for (const n of names.filter((n) => n !== '0.log')) assert.match(n, /^0\.log\.\d{8}-\d{6}(\.\d+)?$/);
      const live = parseCriLog(await readFile(st.logPath, 'utf8'));
      assert.equal(live.at(-1)?.content, 'line 199');
    } finally {
      await w.done();
    }
  });

  test('execSync: unknown executables, stopped and unknown containers are errors', async () => {
    const w = await world();
    try {
      const id = await w.run('sleeper', ['sleep', '60']);
      await assert.rejects(w.runtime.execSync(id, ['no-such-command-capstan'], 1000), (err: unknown) => err instanceof RuntimeError && err.reason === 'RunContainerError' && /executable file not found in \$PATH/.test(err.message));
      const timedOut = await w.runtime.execSync(id, ['sleep', '30'], 100);
      assert.deepEqual([timedOut.timedOut, timedOut.exitCode], [true, -1]);
      await w.runtime.stopContainer(id, 0);
      await assert.rejects(w.runtime.execSync(id, ['true'], 1000), (err: unknown) => err instanceof RuntimeError && err.reason === 'RunContainerError');
      await assert.rejects(w.runtime.execSync('f'.repeat(64), ['true'], 1000), (err: unknown) => err instanceof RuntimeError && err.reason === 'NotFound');
    } finally {
      await w.done();
    }
  });

  test('exec runs as the container user with its groups', { skip: process.getuid?.() === 0 ? false : 'changing the user needs root' }, async () => {
    const w = await world();
    try {
      const id = await w.run('as-user', ['sleep', '60'], { user: { uid: 1000, gid: 3000, supplementalGroups: [2000] } });
      const sync = await w.runtime.execSync(id, ['sh', '-c', 'echo $(id -u) $(id -g) $(id -G)'], 10_000);
      assert.equal(sync.stdout.toString(), '1000 3000 3000 2000\n');
      const streamed = await w.runtime.exec!(id, ['id', '-u'], { tty: false, stdin: false });
      const chunks: Buffer[] = [];
      streamed.stdout.on('data', (c: Buffer) => chunks.push(c));
      assert.equal(await streamed.exited, 0);
      assert.equal(Buffer.concat(chunks).toString(), '1000\n');
      await w.runtime.stopContainer(id, 0);
    } finally {
      await w.done();
    }
  });

  test('unreadable state records are skipped', async () => {
    const w = await world();
    try {
      await w.runtime.close();
      await writeFile(path.join(w.rootDir, 'sandboxes', 'broken.json'), '{not json');
      const rt = await w.reopen();
      assert.equal((await rt.listPodSandboxes()).length, 1);
    } finally {
      await w.done();
    }
  });
});

describe('process runtime decisions', () => {
  test('config errors: no command, volumeMounts', () => {
    const base: ContainerConfig = { metadata: { name: 'c', attempt: 0 }, image: 'nginx', command: ['x'], args: [], env: [], mounts: [], logPath: 'c/0.log', labels: {}, annotations: {} };
    assert.equal(processRuntimeConfigError(base), undefined);
    assert.match(processRuntimeConfigError({ ...base, command: [] }) ?? '', /^container "c" has no command: .*does not run images.*"nginx"/);
    assert.match(processRuntimeConfigError({ ...base, mounts: [{ containerPath: '/d', hostPath: '', readonly: true }] }) ?? '', /cannot honour volumeMounts; run the agent as root with runc installed/);
    const token = { containerPath: '/var/run/secrets/kubernetes.io/serviceaccount', hostPath: '', readonly: true, optional: true };
    assert.equal(processRuntimeConfigError({ ...base, mounts: [token] }), undefined, 'optional mounts are skipped');
    assert.match(processRuntimeConfigError({ ...base, mounts: [token, { containerPath: '/d', hostPath: '', readonly: false }] }) ?? '', /has volumeMounts \(\/d\): /);
  });

  test('environment: later duplicates win; PATH and HOSTNAME added unless set', () => {
    const env = (vars: { name: string; value: string }[]) => ({ ...containerEnvironment(vars, 'h') });
    assert.deepEqual(
      env([
        { name: 'X', value: '1' },
        { name: 'X', value: '2' },
      ]),
      { X: '2', PATH: DEFAULT_PATH, HOSTNAME: 'h' },
    );
    assert.deepEqual(env([{ name: 'HOSTNAME', value: '' }]), { HOSTNAME: '', PATH: DEFAULT_PATH });
    assert.equal(env([{ name: '__proto__', value: 'x' }]).PATH, DEFAULT_PATH);
  });

  test('executable lookup in PATH, and the OCI runtime messages', async () => {
    assert.deepEqual(await resolveExecutable('sh', '/nonexistent:/bin:/usr/bin', '/'), { ok: true, path: '/bin/sh' });
    assert.deepEqual(await resolveExecutable('sh', '', '/'), { ok: false, message: 'exec: "sh": executable file not found in $PATH' });
    assert.deepEqual(await resolveExecutable('/no/such', DEFAULT_PATH, '/'), { ok: false, message: 'exec: "/no/such": stat /no/such: no such file or directory' });
    assert.deepEqual(await resolveExecutable('/usr', DEFAULT_PATH, '/'), { ok: false, message: 'exec: "/usr": is a directory' });
    assert.deepEqual(await resolveExecutable('bin/sh', '', '/'), { ok: true, path: '/bin/sh' });
    assert.equal(await workingDirError('/usr'), undefined);
    assert.equal(await workingDirError('/nope'), 'chdir to cwd ("/nope") set in config.json failed: no such file or directory');
  });

  test('/proc/<pid>/stat parsing copes with odd command names; zombies and other start times are gone', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[19] = '123456';
    const text = `42 (a) b (c)) ${fields.join(' ')}`;
    assert.deepEqual(parseProcStat(text), { state: 'S', startTime: '123456' });
    assert.equal(parseProcStat('garbage'), undefined);
    const id = { pid: 42, startTime: '123456' };
    assert.equal(livenessFromStat(id, { state: 'S', startTime: '123456' }), 'alive');
    assert.equal(livenessFromStat(id, { state: 'Z', startTime: '123456' }), 'gone');
    assert.equal(livenessFromStat(id, { state: 'R', startTime: '999' }), 'gone');
    assert.equal(livenessFromStat(id, undefined), 'gone');
    assert.equal(livenessFromStat({ pid: 42, startTime: null }, { state: 'R', startTime: '999' }), 'alive');
  });

  test('exit decisions: file first, then the wrapper, then the kill marker', () => {
    assert.deepEqual(decideExit({ exitFile: '0\n', killed: false }), { exitCode: 0, reason: 'Completed', message: '' });
    assert.deepEqual(decideExit({ exitFile: '143\n', wrapperExit: { code: 143, signal: null }, killed: true }), { exitCode: 143, reason: 'Error', message: '' });
    assert.equal(decideExit({ wrapperExit: { code: null, signal: 'SIGKILL' }, killed: false }).exitCode, 137);
    assert.equal(decideExit({ exitFile: '', killed: true }).exitCode, 137);
    assert.match(decideExit({ killed: false }).message, /not watching/);
    assert.equal(exitCodeOf(null, 'SIGTERM'), 143);
    assert.equal(exitCodeOf(3, null), 3);
  });
});
