/**
 * The one test body every ContainerRuntime must pass (as the storage conformance suite is for
 * stores). Each test gets a fresh runtime from the factory, on an empty state directory, and a
 * fresh log directory for its sandboxes. Commands use only /bin/sh and coreutils. Tests wait for
 * asynchronous outcomes by polling with a deadline and never assert durations.
 *
 * The factory receives the events sink the runtime must report to; its `reopen` builds a new
 * runtime on the same state directory, reporting to the same sink, after the suite closed the
 * previous one (a restarted agent).
 *
 * With `bridge` the runtime was built with a bridge-mode pod network: sandboxes are created with
 * their own network, and the suite also checks their addresses, that two pods listen on the same
 * port side by side, that the network survives a restarted runtime and that it is given back.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { netnsPath, netnsName } from '../network/netns.js';
import { RuntimeError, type ContainerConfig, type ContainerRuntime, type ContainerState, type ContainerStatus, type PodSandboxConfig, type RuntimeEvents } from './runtime.js';

export interface RuntimeFixture {
  runtime: ContainerRuntime;
  /** A new runtime instance on the same state; called after `close()` of the previous one. */
  reopen: () => Promise<ContainerRuntime>;
  /** Removes the state directory (containers are already stopped by then). */
  cleanup: () => Promise<void>;
}

export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  tag: 'P' | 'F';
  content: string;
}

const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) ([PF]) (.*)$/s;

/** Parses a CRI log file; every line must be well-formed. */
export function parseCriLog(text: string): LogRecord[] {
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'a CRI log ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = CRI_LINE.exec(line);
      assert.ok(m, `not a CRI log line: ${JSON.stringify(line.slice(0, 200))}`);
      return { time: m[1]!, stream: m[2] as 'stdout' | 'stderr', tag: m[3] as 'P' | 'F', content: m[4]! };
    });
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The per-test world: the current runtime instance, its sandboxes' log directory, exit events. */
class Harness {
  runtime!: ContainerRuntime;
  fixture!: RuntimeFixture;
  logDir = '';
  readonly exits: ContainerStatus[] = [];
  private serial = 0;

  constructor(private readonly bridge = false) {}

  async setUp(make: (events: RuntimeEvents) => Promise<RuntimeFixture>): Promise<void> {
    this.logDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-runtime-logs-'));
    this.fixture = await make({ onContainerExit: (s) => this.exits.push(s) });
    this.runtime = this.fixture.runtime;
  }

  /** Kills whatever the test left running, then removes all state. */
  async tearDown(): Promise<void> {
    try {
      for (const s of await this.runtime.listPodSandboxes()) {
        await this.runtime.stopPodSandbox(s.id);
        await this.runtime.removePodSandbox(s.id);
      }
      for (const c of await this.runtime.listContainers()) await this.runtime.removeContainer(c.id);
    } finally {
      await this.runtime.close();
      await this.fixture.cleanup();
      await rm(this.logDir, { recursive: true, force: true });
    }
  }

  async reopen(): Promise<ContainerRuntime> {
    await this.runtime.close();
    this.runtime = await this.fixture.reopen();
    return this.runtime;
  }

  sandboxConfig(name = `pod-${++this.serial}`): PodSandboxConfig {
    return {
      metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
      hostname: name,
      logDirectory: path.join(this.logDir, `default_${name}_uid-${name}`),
      labels: { app: 'conformance', 'io.kubernetes.pod.name': name },
      annotations: { note: 'conformance' },
      hostNetwork: !this.bridge,
    };
  }

  async sandbox(name?: string): Promise<{ id: string; config: PodSandboxConfig }> {
    const config = this.sandboxConfig(name);
    return { id: await this.runtime.runPodSandbox(config), config };
  }

  containerConfig(name: string, script: string, extra: Partial<ContainerConfig> = {}): ContainerConfig {
    return {
      metadata: { name, attempt: 0 },
      image: 'busybox:latest',
      command: ['sh', '-c', script],
      args: [],
      env: [],
      mounts: [],
      logPath: `${name}/0.log`,
      labels: { 'io.kubernetes.container.name': name },
      annotations: { 'io.kubernetes.container.restartCount': '0' },
      ...extra,
    };
  }

  /** Creates and starts a container running `script` under sh. */
  async run(sb: { id: string; config: PodSandboxConfig }, name: string, script: string, extra: Partial<ContainerConfig> = {}): Promise<string> {
    const id = await this.runtime.createContainer(sb.id, this.containerConfig(name, script, extra), sb.config);
    await this.runtime.startContainer(id);
    return id;
  }

  async status(id: string): Promise<ContainerStatus> {
    const s = await this.runtime.containerStatus(id);
    assert.ok(s, `container ${id} has a status`);
    return s;
  }

  waitForState(id: string, state: ContainerState): Promise<ContainerStatus> {
    return poll(`container ${id} to be ${state}`, async () => {
      const s = await this.runtime.containerStatus(id);
      return s?.state === state ? s : undefined;
    });
  }

  async log(id: string): Promise<LogRecord[]> {
    const file = (await this.status(id)).logPath;
    return parseCriLog(await readFile(file, 'utf8').catch(() => ''));
  }

  /** Full lines of one stream (P records joined to the F that ends them). */
  async lines(id: string, stream: 'stdout' | 'stderr'): Promise<string[]> {
    const out: string[] = [];
    let partial = '';
    for (const r of await this.log(id)) {
      if (r.stream !== stream) continue;
      partial += r.content;
      if (r.tag === 'F') {
        out.push(partial);
        partial = '';
      }
    }
    return out;
  }

  waitForLine(id: string, stream: 'stdout' | 'stderr', pred: (line: string) => boolean): Promise<string> {
    return poll(`a ${stream} line of ${id}`, async () => (await this.lines(id, stream)).find(pred));
  }
}

async function assertRuntimeError(p: Promise<unknown>, reason: RuntimeError['reason'], ...includes: string[]): Promise<RuntimeError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RuntimeError, `expected a RuntimeError(${reason}), got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  for (const s of includes) assert.ok(caught.message.includes(s), `${JSON.stringify(caught.message)} should mention ${JSON.stringify(s)}`);
  return caught;
}

export interface ConformanceOptions {
  /** The runtime has a bridge-mode pod network whose addresses come from `podCidr` (a /24). */
  bridge?: { podCidr: string };
}

/** Answers one line per connection on `port` in the container's network. */
const HELLO_SERVER = (port: number, text: string) => `require('net').createServer((s) => s.end(${JSON.stringify(text)})).listen(${port})`;

async function readFrom(ip: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, ip);
    let out = '';
    s.setTimeout(2000, () => s.destroy());
    s.on('data', (d) => (out += d.toString()));
    s.on('error', () => resolve(undefined));
    s.on('close', () => resolve(out || undefined));
  });
}

export function runtimeConformanceSuite(name: string, make: (events: RuntimeEvents) => Promise<RuntimeFixture>, opts: ConformanceOptions = {}): void {
  describe(`${name} runtime conformance`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = new Harness(!!opts.bridge);
      await h.setUp(make);
    });
    afterEach(async () => {
      await h.tearDown();
    });

    test('reports a name and a version', () => {
      assert.ok(h.runtime.name.length > 0);
      const v = h.runtime.version();
      assert.ok(v.runtimeName && v.runtimeVersion && v.runtimeApiVersion);
    });

    test('sandbox lifecycle: run, status, list, stop and remove, all idempotent', async () => {
      const sb = await h.sandbox('lifecycle');
      assert.match(sb.id, /^[0-9a-f]{32,64}$/);
      const st = await h.runtime.podSandboxStatus(sb.id);
      assert.ok(st);
      assert.equal(st.state, 'SANDBOX_READY');
      assert.deepEqual(st.metadata, sb.config.metadata);
      assert.deepEqual(st.labels, sb.config.labels);
      assert.deepEqual(st.annotations, sb.config.annotations);
      assert.ok(Array.isArray(st.ips));
      assert.ok(st.createdAt > 0);
      assert.deepEqual(
        (await h.runtime.listPodSandboxes()).map((s) => s.id),
        [sb.id],
      );
      await h.runtime.stopPodSandbox(sb.id);
      await h.runtime.stopPodSandbox(sb.id);
      assert.equal((await h.runtime.podSandboxStatus(sb.id))?.state, 'SANDBOX_NOTREADY');
      await h.runtime.removePodSandbox(sb.id);
      await h.runtime.removePodSandbox(sb.id);
      assert.equal(await h.runtime.podSandboxStatus(sb.id), undefined);
      assert.deepEqual(await h.runtime.listPodSandboxes(), []);
      await h.runtime.stopPodSandbox('0'.repeat(64));
      await h.runtime.removePodSandbox('0'.repeat(64));
    });

    test('a container runs to its exit: code, reason and timestamps', async () => {
      const sb = await h.sandbox();
      const okId = await h.runtime.createContainer(sb.id, h.containerConfig('ok', 'echo done'), sb.config);
      const created = await h.status(okId);
      assert.equal(created.state, 'CONTAINER_CREATED');
      assert.equal(created.sandboxId, sb.id);
      assert.deepEqual(created.metadata, { name: 'ok', attempt: 0 });
      assert.equal(created.image, 'busybox:latest');
      assert.deepEqual(created.labels, { 'io.kubernetes.container.name': 'ok' });
      assert.deepEqual(created.annotations, { 'io.kubernetes.container.restartCount': '0' });
      assert.equal(created.logPath, path.join(sb.config.logDirectory, 'ok/0.log'));
      assert.ok(created.createdAt > 0);
      assert.equal(created.startedAt, 0);
      assert.equal(created.finishedAt, 0);
      await h.runtime.startContainer(okId);
      const failId = await h.run(sb, 'fail', 'exit 3');

      const ok = await h.waitForState(okId, 'CONTAINER_EXITED');
      assert.equal(ok.exitCode, 0);
      assert.equal(ok.reason, 'Completed');
      assert.ok(ok.startedAt >= ok.createdAt);
      assert.ok(ok.finishedAt >= ok.startedAt);
      const fail = await h.waitForState(failId, 'CONTAINER_EXITED');
      assert.equal(fail.exitCode, 3);
      assert.equal(fail.reason, 'Error');
      assert.ok(fail.startedAt > 0 && fail.finishedAt >= fail.startedAt);
      // Starting twice is refused.
      await assertRuntimeError(h.runtime.startContainer(okId), 'RunContainerError');
    });

    test('logs both streams in the CRI format, long lines split P…F, an unfinished last line as P', async () => {
      const sb = await h.sandbox();
      const id = await h.run(sb, 'logger', "echo 'out 1'; echo 'err 1' >&2; head -c 20000 /dev/zero | tr '\\000' a; echo; echo 'err 2' >&2; printf 'no newline'");
      await h.waitForState(id, 'CONTAINER_EXITED');
      // Once reported exited, the log holds everything the container wrote.
      const log = await h.log(id);
      const out = log.filter((r) => r.stream === 'stdout').map((r) => [r.tag, r.content.length > 40 ? `${r.content[0]}×${r.content.length}` : r.content]);
      const err = log.filter((r) => r.stream === 'stderr').map((r) => [r.tag, r.content]);
      assert.deepEqual(out, [
        ['F', 'out 1'],
        ['P', 'a×16384'],
        ['F', `a×${20000 - 16384}`],
        ['P', 'no newline'],
      ]);
      assert.deepEqual(err, [
        ['F', 'err 1'],
        ['F', 'err 2'],
      ]);
    });

    test('stopContainer sends SIGTERM to a container that handles it', async () => {
      const sb = await h.sandbox();
      const id = await h.run(sb, 'graceful', "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.1; done");
      await h.waitForLine(id, 'stdout', (l) => l === 'ready');
      await h.runtime.stopContainer(id, 30);
      const st = await h.status(id);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exitCode, 0);
      assert.equal(st.reason, 'Completed');
      assert.ok((await h.lines(id, 'stdout')).includes('bye'));
      await h.runtime.stopContainer(id, 30);
    });

    test('stopContainer sends SIGKILL once the timeout passed (exit code 137)', async () => {
      const sb = await h.sandbox();
      const id = await h.run(sb, 'stubborn', "trap '' TERM; echo ready; while :; do sleep 0.1; done");
      await h.waitForLine(id, 'stdout', (l) => l === 'ready');
      await h.runtime.stopContainer(id, 1);
      const st = await h.status(id);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exitCode, 137);
      assert.equal(st.reason, 'Error');
    });

    test('the process sees the env (later duplicates win), HOSTNAME and workingDir', async () => {
      const sb = await h.sandbox('envpod');
      const script = 'echo "FOO=$FOO DUP=$DUP HOSTNAME=$HOSTNAME"; test -n "$PATH" && echo has-path; pwd';
      const env = [
        { name: 'FOO', value: 'bar baz' },
        { name: 'DUP', value: 'first' },
        { name: 'DUP', value: 'second' },
      ];
      const a = await h.run(sb, 'withdir', script, { env, workingDir: '/usr' });
      const b = await h.run(sb, 'nodir', 'pwd');
      await h.waitForState(a, 'CONTAINER_EXITED');
      await h.waitForState(b, 'CONTAINER_EXITED');
      assert.deepEqual(await h.lines(a, 'stdout'), ['FOO=bar baz DUP=second HOSTNAME=envpod', 'has-path', '/usr']);
      assert.deepEqual(await h.lines(b, 'stdout'), ['/']);
    });

    test('execSync runs in the container context and collects output and exit code', async () => {
      const sb = await h.sandbox();
      const id = await h.run(sb, 'target', 'exec sleep 60', { env: [{ name: 'FOO', value: 'bar' }], workingDir: '/usr' });
      await h.waitForState(id, 'CONTAINER_RUNNING');
      const r = await h.runtime.execSync(id, ['sh', '-c', 'echo "$FOO"; pwd; echo oops >&2; exit 7'], 10_000);
      assert.equal(r.exitCode, 7);
      assert.equal(r.stdout.toString(), 'bar\n/usr\n');
      assert.equal(r.stderr.toString(), 'oops\n');
      assert.equal(r.timedOut, false);
      const ok = await h.runtime.execSync(id, ['true'], 10_000);
      assert.equal(ok.exitCode, 0);
      const slow = await h.runtime.execSync(id, ['sleep', '30'], 200);
      assert.equal(slow.timedOut, true);
      assert.notEqual(slow.exitCode, 0);
    });

    test('a container without a command is a CreateContainerError that names it', async () => {
      const sb = await h.sandbox();
      await assertRuntimeError(h.runtime.createContainer(sb.id, h.containerConfig('nocmd', '', { command: [] }), sb.config), 'CreateContainerError', 'nocmd', 'command');
      assert.deepEqual(await h.runtime.listContainers({ sandboxId: sb.id }), []);
    });

    test('an executable that is not found is a RunContainerError', async () => {
      const sb = await h.sandbox();
      const id = await h.runtime.createContainer(sb.id, h.containerConfig('missing', '', { command: ['no-such-command-capstan'] }), sb.config);
      await assertRuntimeError(h.runtime.startContainer(id), 'RunContainerError', 'exec: "no-such-command-capstan": executable file not found in $PATH');
      assert.notEqual((await h.status(id)).state, 'CONTAINER_RUNNING');
    });

    test('containers keep running across close(); a reopened runtime re-adopts them, their logs and their exit', async () => {
      const sb = await h.sandbox('readopt');
      const id = await h.run(sb, 'ticker', 'i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.1; done');
      await h.waitForLine(id, 'stdout', (l) => l === 'tick 2');
      const rt = await h.reopen();
      assert.deepEqual(
        (await rt.listPodSandboxes()).map((s) => [s.id, s.state]),
        [[sb.id, 'SANDBOX_READY']],
      );
      const listed = await rt.listContainers();
      assert.deepEqual(
        listed.map((c) => [c.id, c.state]),
        [[id, 'CONTAINER_RUNNING']],
      );
      // The log keeps growing under the new instance, without a gap or a duplicate.
      const before = (await h.lines(id, 'stdout')).length;
      await h.waitForLine(id, 'stdout', (l) => l === `tick ${before + 3}`);
      await rt.stopContainer(id, 10);
      const st = await h.status(id);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exitCode, 143);
      assert.equal(st.reason, 'Error');
      const lines = await h.lines(id, 'stdout');
      assert.deepEqual(
        lines,
        lines.map((_, i) => `tick ${i}`),
      );
      assert.ok(h.exits.some((e) => e.id === id && e.exitCode === 143));
    });

    test('stopPodSandbox kills every container of the sandbox; removePodSandbox removes them', async () => {
      const sb = await h.sandbox();
      const other = await h.sandbox();
      const a = await h.run(sb, 'a', 'sleep 60');
      const b = await h.run(sb, 'b', 'trap "" TERM; sleep 60');
      const c = await h.run(other, 'c', 'sleep 60');
      await h.runtime.stopPodSandbox(sb.id);
      for (const id of [a, b]) {
        const st = await h.status(id);
        assert.equal(st.state, 'CONTAINER_EXITED');
        assert.equal(st.exitCode, 137);
      }
      assert.equal((await h.runtime.podSandboxStatus(sb.id))?.state, 'SANDBOX_NOTREADY');
      assert.equal((await h.status(c)).state, 'CONTAINER_RUNNING');
      assert.deepEqual(
        (await h.runtime.listContainers({ sandboxId: other.id })).map((s) => s.id),
        [c],
      );
      await h.runtime.removePodSandbox(sb.id);
      assert.equal(await h.runtime.containerStatus(a), undefined);
      assert.deepEqual(await h.runtime.listContainers({ sandboxId: sb.id }), []);
    });

    test('removeContainer stops a running container and forgets it', async () => {
      const sb = await h.sandbox();
      const id = await h.run(sb, 'doomed', 'sleep 60');
      await h.runtime.removeContainer(id);
      assert.equal(await h.runtime.containerStatus(id), undefined);
      await h.runtime.removeContainer(id);
      assert.ok(h.exits.some((e) => e.id === id && e.state === 'CONTAINER_EXITED'));
    });

    test('onContainerExit fires once per exit, with the final status', async () => {
      const sb = await h.sandbox();
      const id = await h.run(sb, 'quick', 'exit 3');
      const ev = await poll('an exit event', async () => h.exits.find((e) => e.id === id));
      assert.equal(ev.state, 'CONTAINER_EXITED');
      assert.equal(ev.exitCode, 3);
      assert.ok(ev.finishedAt > 0);
      await h.runtime.stopContainer(id, 0);
      await h.waitForState(id, 'CONTAINER_EXITED');
      assert.equal(h.exits.filter((e) => e.id === id).length, 1);
    });

    test('attach writes to the stdin of a stdin container, across a reopen, until its stdin is closed', async (t) => {
      if (!h.runtime.attach) return t.skip(`the ${name} runtime has no attach`);
      const sb = await h.sandbox('stdinpod');
      const id = await h.run(sb, 'reader', 'while read -r l; do echo "got $l"; done; echo eof', { stdin: true, stdinOnce: true });
      await h.waitForState(id, 'CONTAINER_RUNNING');
      const first = await h.runtime.attach(id, { stdin: true });
      assert.ok(first.stdin, 'a stdin container takes input');
      first.stdin.end('one\n');
      await h.waitForLine(id, 'stdout', (l) => l === 'got one');
      // No writer is attached now, yet the container has not seen the end of its input.
      const rt = await h.reopen();
      const second = await rt.attach!(id, { stdin: true });
      assert.ok(second.stdin);
      second.stdin.end('two\n');
      await h.waitForLine(id, 'stdout', (l) => l === 'got two');
      assert.equal((await h.status(id)).state, 'CONTAINER_RUNNING');
      await second.closeStdin();
      const exited = await h.waitForState(id, 'CONTAINER_EXITED');
      assert.equal(exited.exitCode, 0);
      assert.deepEqual(await h.lines(id, 'stdout'), ['got one', 'got two', 'eof']);
      await assertRuntimeError(rt.attach!(id, { stdin: true }), 'NotFound');
    });

    test('attach offers no input to a container without stdin', async (t) => {
      if (!h.runtime.attach) return t.skip(`the ${name} runtime has no attach`);
      const sb = await h.sandbox();
      const id = await h.run(sb, 'nostdin', 'if read -r l; then echo "read $l"; else echo no-input; fi; exec sleep 60');
      await h.waitForLine(id, 'stdout', (l) => l === 'no-input');
      const a = await h.runtime.attach(id, { stdin: true });
      assert.equal(a.stdin, undefined);
    });

    test('a tty container runs on a terminal that attach writes to and resizes', async (t) => {
      if (!h.runtime.attach) return t.skip(`the ${name} runtime has no attach`);
      const sb = await h.sandbox('ttypod');
      const script = 'test -t 0 && echo "on-a-tty $TERM"; while read -r l; do echo "size $(stty size) $l"; done';
      const id = await h.run(sb, 'term', script, { stdin: true, tty: true });
      await h.waitForLine(id, 'stdout', (l) => l.startsWith('on-a-tty xterm'));
      const a = await h.runtime.attach(id, { stdin: true });
      assert.ok(a.stdin);
      a.resize(100, 30);
      // The resize lands asynchronously: ask until the shell reports the new size.
      let n = 0;
      await poll('the new terminal size', async () => {
        a.stdin!.write(`line${n++}\n`);
        await new Promise((r) => setTimeout(r, 100));
        return (await h.lines(id, 'stdout')).find((l) => l.startsWith('size 30 100'));
      });
      a.stdin.end();
      await h.runtime.stopContainer(id, 0);
    });

    if (opts.bridge) {
      const prefix = opts.bridge.podCidr.split('.').slice(0, 3).join('.');
      const node = JSON.stringify(process.execPath);

      test('bridge: each sandbox gets its own address; two pods listen on one port side by side', async () => {
        const a = await h.sandbox('web-a');
        const b = await h.sandbox('web-b');
        const ipA = (await h.runtime.podSandboxStatus(a.id))?.ips[0];
        const ipB = (await h.runtime.podSandboxStatus(b.id))?.ips[0];
        assert.ok(ipA?.startsWith(`${prefix}.`), `pod address ${ipA} in ${opts.bridge!.podCidr}`);
        assert.ok(ipB?.startsWith(`${prefix}.`));
        assert.notEqual(ipA, ipB);
        await h.run(a, 'srv', `exec ${node} -e "${HELLO_SERVER(8080, 'a').replace(/"/g, '\\"')}"`);
        await h.run(b, 'srv', `exec ${node} -e "${HELLO_SERVER(8080, 'b').replace(/"/g, '\\"')}"`);
        assert.equal(await poll('pod a to answer', () => readFrom(ipA!, 8080)), 'a');
        assert.equal(await poll('pod b to answer', () => readFrom(ipB!, 8080)), 'b');
        // exec runs in the pod's network: the pod's loopback is its own.
        const id = (await h.runtime.listContainers({ sandboxId: a.id }))[0]!.id;
        const r = await h.runtime.execSync(id, [process.execPath, '-e', `require('net').connect(8080, '127.0.0.1').on('data', (d) => process.stdout.write(d))`], 10_000);
        assert.equal(r.stdout.toString(), 'a');
      });

      test('bridge: a hostNetwork sandbox gets no namespace or address of its own', async () => {
        const config = { ...h.sandboxConfig('hostnet'), hostNetwork: true };
        const id = await h.runtime.runPodSandbox(config);
        assert.deepEqual((await h.runtime.podSandboxStatus(id))?.ips, []);
        assert.equal(existsSync(netnsPath(netnsName(id))), false);
      });

      test('bridge: the address survives a reopened runtime; stopping the sandbox gives the network back', async () => {
        const sb = await h.sandbox('keeper');
        const ip = (await h.runtime.podSandboxStatus(sb.id))?.ips[0];
        assert.ok(ip);
        assert.ok(existsSync(netnsPath(netnsName(sb.id))));
        const rt = await h.reopen();
        assert.deepEqual((await rt.podSandboxStatus(sb.id))?.ips, [ip]);
        await rt.stopPodSandbox(sb.id);
        assert.equal(existsSync(netnsPath(netnsName(sb.id))), false, 'the network namespace is deleted');
        await rt.stopPodSandbox(sb.id);
        await rt.removePodSandbox(sb.id);
      });
    }
  });
}
