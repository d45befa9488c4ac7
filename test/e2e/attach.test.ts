/**
 * Interactive streaming through the API server to the node agent (process runtime), driven with
 * the real kubectl (compiled dist/ only): `exec -it` and `attach -it` with kubectl on a real
 * pseudo-terminal (util-linux `script`, its input a pipe the test types into), `attach -i` to a
 * container reading its stdin, stdinOnce through `kubectl run -i --rm`, `run -it`, attach to a
 * container without stdin, and `attach -i` with kubectl 1.27 (SPDY/3.1) when it is installed;
 * then attach to the `sandbox` runtime's containers (runc) where the machine has it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { capstanBin, kc, killContainers, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';
import { eventually } from '../support/eventually.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? (kubectlPath() ? false : 'needs kubectl') : 'needs the compiled server (npm run build)';
const noScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).stdout.trim() === '' ? 'needs util-linux script' : false;
const kubectl127 = kubectlPath('1.27');
const haveRunc = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim() !== '';
const skipSandbox = skip || noScript || (process.getuid?.() !== 0 ? 'needs root' : !haveRunc ? 'needs runc' : false);

const pod = (name: string, command: string[], container: Record<string, unknown> = {}, restartPolicy = 'Always') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox', command, ...container }] },
});

/** A running kubectl whose output the test watches and whose stdin it types into. */
interface Session {
  child: ChildProcess;
  out: () => string;
  type: (text: string) => void;
  endInput: () => void;
  exited: Promise<number>;
}

/** A server with the agent on `runtime`, the pods applied and Ready; `stop` deletes them and cleans up. */
async function cluster(runtime: 'process' | 'sandbox', items: object[]): Promise<{ server: ServerHandle; stop: () => Promise<void> }> {
  const server = await startServer({ agent: true, keepDataDir: true, runtime });
  const stop = async () => {
    kubectl(server, ['delete', 'pods', '--all', '--wait=true', '--timeout=60s']);
    await server.stop();
    killContainers(server.dataDir);
    rmSync(server.dataDir, { recursive: true, force: true });
  };
  try {
    kc(server, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
    kc(server, ['wait', '--for=condition=Ready', ...items.map((i) => `pod/${(i as { metadata: { name: string } }).metadata.name}`), '--timeout=60s']);
  } catch (e) {
    await stop();
    throw e;
  }
  return { server, stop };
}

/** Sessions of kubectl against `server`: with a pipe as stdin, or on a terminal of its own. */
function sessions(getServer: () => ServerHandle, children: ChildProcess[]) {
  const start = (file: string, args: string[]): Session => {
    const child = spawn(file, args, { env: { ...process.env, HOME: getServer().dataDir, KUBECTL_KUBERC: 'false' }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin!.on('error', () => undefined);
    const exited = new Promise<number>((r) => child.once('close', (code) => r(code ?? -1)));
    return { child, out: () => out, type: (t) => child.stdin!.write(t), endInput: () => child.stdin!.end(), exited };
  };
  return {
    /** kubectl with a pipe as stdin. */
    kubectlSession: (args: string[], bin = kubectlPath()!) => start(bin, ['--kubeconfig', getServer().kubeconfig, ...args]),
    /** kubectl on a pseudo-terminal of its own (`script`), the test typing at it through a pipe. */
    terminalSession: (args: string[]) => {
      const quoted = [kubectlPath()!, '--kubeconfig', getServer().kubeconfig, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      return start('script', ['-qfec', quoted, '/dev/null']);
    },
  };
}

const waitFor = (s: Session, re: RegExp, what: string) =>
  eventually(what, () => (re.test(s.out()) ? true : undefined), 30_000, 50).catch((e: Error) => {
    throw new Error(`${e.message}; output so far: ${JSON.stringify(s.out())}`);
  });

const echoScript = 'while read -r l; do echo "echo: $l"; done; echo input-ended';

describe('interactive attach and exec', { skip, timeout: 120_000 }, () => {
  let server: ServerHandle;
  let stop: () => Promise<void> = async () => undefined;
  const children: ChildProcess[] = [];
  const { kubectlSession, terminalSession } = sessions(() => server, children);

  before(async () => {
    ({ server, stop } = await cluster('process', [
      pod('shell', ['sleep', '3600']),
      pod('term', ['sh'], { stdin: true, tty: true }, 'Never'),
      pod('echoer', ['sh', '-c', echoScript], { stdin: true }),
      pod('echoer-old', ['sh', '-c', echoScript], { stdin: true }),
      pod('nostdin', ['sh', '-c', 'i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.2; done']),
    ]));
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await stop();
  });

  test('exec -it runs a shell on a terminal: typed commands run, its exit code is kubectl’s', { skip: noScript }, async () => {
    const s = terminalSession(['exec', '-it', 'shell', '--', 'sh']);
    s.type('echo hi-$((1+2))\n');
    await waitFor(s, /hi-3/, 'the shell’s answer');
    s.type('exit 3\n');
    assert.equal(await s.exited, 3, s.out());
  });

  test('attach -it reaches a tty container’s shell; its exit ends the session', { skip: noScript }, async () => {
    const s = terminalSession(['attach', '-it', 'term']);
    s.type('echo hi-$((1+2))\n');
    await waitFor(s, /hi-3/, 'the shell’s answer through attach');
    s.type('tty; exit 3\n');
    assert.equal(await s.exited, 0, s.out());
    assert.match(s.out(), /\/dev\/pts\/\d+/);
    const code = await eventually('the container’s exit', () => {
      const st = JSON.parse(kc(server, ['get', 'pod', 'term', '-o', 'json'])) as { status?: { containerStatuses?: { state?: { terminated?: { exitCode: number } } }[] } };
      return st.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
    });
    assert.equal(code, 3);
  });

  test('attach -i sends input to a stdin container; the end of input ends the session, not the container', async () => {
    const s = kubectlSession(['attach', '-i', 'echoer']);
    s.type('ping\n');
    await waitFor(s, /echo: ping\n/, 'the echo of the input');
    s.endInput();
    assert.equal(await s.exited, 0, s.out());
    // Not stdinOnce: the container's stdin stays open for the next attach.
    const again = kubectlSession(['attach', '-i', 'echoer']);
    again.type('pong\n');
    await waitFor(again, /echo: pong\n/, 'the echo through a second attach');
    again.endInput();
    assert.equal(await again.exited, 0);
    assert.doesNotMatch(kc(server, ['logs', 'echoer']), /input-ended/);
  });

  test('attach -i to a container without stdin streams its output and drops the input', async () => {
    const s = kubectlSession(['attach', '-i', 'nostdin']);
    s.type('ignored\n');
    await waitFor(s, /tick \d+\ntick \d+\n/, 'output through attach -i');
    s.child.kill();
    await s.exited;
    assert.equal(kc(server, ['get', 'pod', 'nostdin', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']), '0');
  });

  test('run -i --rm: stdinOnce closes the container’s stdin after the input; kubectl exits with its code and deletes the pod', () => {
    const r = kubectl(server, ['run', '-i', '--rm', '--restart=Never', 'once', '--image=busybox', '--command', '--', 'sh', '-c', 'while read -r l; do echo "got $l"; done; echo eof; exit 4'], {
      input: 'a\nb\n',
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /got a\ngot b\neof\n/);
    assert.match(r.stdout, /pod "once" deleted/);
  });

  test('run -it --rm gives the shell a terminal and exits with its code', { skip: noScript }, async () => {
    const s = terminalSession(['run', '-it', '--rm', '--restart=Never', 'tty-run', '--image=busybox', '--command', '--', 'sh']);
    s.type('echo hi-$((1+2))\n');
    await waitFor(s, /hi-3/, 'the shell’s answer through run -it');
    s.type('exit 3\n');
    assert.equal(await s.exited, 3, s.out());
    assert.match(s.out(), /pod "tty-run" deleted/);
  });

  test('kubectl 1.27 attaches with input over SPDY/3.1', { skip: kubectl127 ? false : 'kubectl 1.27 is not installed beside kubectl' }, async () => {
    const s = kubectlSession(['attach', '-i', 'echoer-old'], kubectl127);
    s.type('spdy\n');
    await waitFor(s, /echo: spdy\n/, 'the echo over SPDY');
    s.endInput();
    assert.equal(await s.exited, 0, s.out());
  });
});

describe('interactive attach with the sandbox runtime', { skip: skipSandbox, timeout: 120_000 }, () => {
  let server: ServerHandle;
  let stop: () => Promise<void> = async () => undefined;
  const children: ChildProcess[] = [];
  const { kubectlSession, terminalSession } = sessions(() => server, children);

  before(async () => {
    ({ server, stop } = await cluster('sandbox', [pod('term', ['sh'], { stdin: true, tty: true }, 'Never'), pod('echoer', ['sh', '-c', echoScript], { stdin: true, stdinOnce: true })]));
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await stop();
  });

  test('attach -it reaches a tty container’s shell on its terminal', async () => {
    const s = terminalSession(['attach', '-it', 'term']);
    s.type('echo hi-$((1+2)); tty\n');
    await waitFor(s, /hi-3\r?\n\/dev\/pts\/\d+/, 'the shell’s answer through attach');
    s.type('exit 3\n');
    assert.equal(await s.exited, 0, s.out());
  });

  test('attach -i to a stdinOnce container: its stdin ends with the session’s input, then it exits', async () => {
    const s = kubectlSession(['attach', '-i', 'echoer']);
    s.type('ping\n');
    await waitFor(s, /echo: ping\n/, 'the echo of the input');
    s.endInput();
    await waitFor(s, /input-ended\n/, 'the end of the container’s input');
    assert.equal(await s.exited, 0, s.out());
  });
});
