/**
 * Streaming through the API server to the node agent, driven with the real kubectl (compiled dist/
 * only): `kubectl exec` exit codes, stdin, `-it` on a pseudo-terminal (kubectl itself runs under
 * util-linux `script`), `kubectl cp` both ways, `kubectl attach`, `kubectl port-forward` (the
 * WebSocket tunnel of kubectl 1.32), and kubectl 1.27, which speaks SPDY/3.1, when installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eSkip, kc, kubectl, kubectlPath } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';

const skip = e2eSkip();
const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).stdout.trim() !== '';


const podSpec = (name: string, command: string[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: 'busybox', command }] } });

describe('kubectl exec, cp, attach and port-forward', { skip, timeout: 120_000 }, () => {
  let work: string;
  const children: ChildProcess[] = [];
  let webPort: number;
  const server = suiteServer({
    agent: true,
    cleanUp: () => {
      for (const c of children) c.kill('SIGKILL');
    },
    deleteAll: ['pods'],
  });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'capstan-exec-'));
    webPort = await freePort();
    const web = `require('http').createServer((q,s)=>s.end('hello '+q.url)).listen(${webPort},'127.0.0.1')`;
    const ticker = 'i=0; while [ $i -lt 600 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done';
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [podSpec('shell', ['sleep', '3600']), podSpec('web', [process.execPath, '-e', web]), podSpec('ticker', ['sh', '-c', ticker])] }),
    });
    kc(server, ['wait', '--for=condition=Ready', 'pod/shell', 'pod/web', 'pod/ticker', '--timeout=60s']);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** kubectl on a pseudo-terminal of its own, as a user at a terminal runs it. */
  const onTerminal = (args: string[], input = '') => {
    const quoted = [kubectlPath()!, '--kubeconfig', server.kubeconfig, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', quoted, '/dev/null'], { input, encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: server.dataDir } });
    return { code: r.status ?? -1, stdout: r.stdout ?? '' };
  };

  test('exec runs the command in the container and exits with its exit code', () => {
    const ok = kubectl(server, ['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2']);
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, 'out\n', 'err\n']);
    const three = kubectl(server, ['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
    assert.equal(three.code, 3);
    assert.match(three.stderr, /command terminated with exit code 3/);
    const missing = kubectl(server, ['exec', 'shell', '--', 'no-such-command']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /executable file not found in \$PATH/);
    const badContainer = kubectl(server, ['exec', 'shell', '-c', 'nope', '--', 'true']);
    assert.match(badContainer.stderr, /container nope is not valid for pod shell/);
  });

  test('exec -i passes stdin and its end to the command', () => {
    const r = kubectl(server, ['exec', '-i', 'shell', '--', 'sh', '-c', 'cat; echo done'], { input: 'hi\nthere\n' });
    assert.deepEqual([r.code, r.stdout], [0, 'hi\nthere\ndone\n']);
  });

  test('exec -it gives the command a terminal', { skip: hasScript ? false : 'needs util-linux script' }, () => {
    const r = onTerminal(['exec', '-it', 'shell', '--', 'sh', '-c', 'test -t 0 && echo on-a-tty; tty']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /on-a-tty/);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    const shell = onTerminal(['exec', '-it', 'shell', '--', 'sh'], 'echo from-the-shell\nexit 5\n');
    assert.equal(shell.code, 5, shell.stdout);
    assert.match(shell.stdout, /from-the-shell/);
  });

  test('cp copies files into the pod and back', () => {
    const small = join(work, 'small.txt');
    const big = join(work, 'big.bin');
    writeFileSync(small, 'payload\n');
    writeFileSync(big, randomBytes(1_500_000));
    kc(server, ['cp', small, `shell:${join(work, 'in-pod-small.txt')}`]);
    assert.equal(kc(server, ['exec', 'shell', '--', 'cat', join(work, 'in-pod-small.txt')]), 'payload\n');
    kc(server, ['cp', big, `shell:${join(work, 'in-pod-big.bin')}`]);
    kc(server, ['cp', `shell:${join(work, 'in-pod-big.bin')}`, join(work, 'back.bin')]);
    assert.ok(readFileSync(join(work, 'back.bin')).equals(readFileSync(big)));
  });

  test('attach streams the container’s output as it is written', async () => {
    const child = spawn(kubectlPath()!, ['--kubeconfig', server.kubeconfig, 'attach', 'ticker'], { env: { ...process.env, HOME: server.dataDir } });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually('ticks through attach', () => (/tick \d+\ntick \d+\n/.test(out) ? true : undefined));
    child.kill();
  });

  test('port-forward reaches a port in the pod', async () => {
    const local = await freePort();
    const child = spawn(kubectlPath()!, ['--kubeconfig', server.kubeconfig, 'port-forward', 'pod/web', `${local}:${webPort}`], { env: { ...process.env, HOME: server.dataDir } });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually('port-forward listening', () => (out.includes('Forwarding from 127.0.0.1') ? true : undefined));
    const fetch = (p: string) =>
      new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port: local, path: p }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
    assert.equal(await fetch('/one'), 'hello /one');
    assert.equal(await fetch('/two'), 'hello /two');
    child.kill();
  });

  test('kubectl 1.27 execs over SPDY/3.1', { skip: kubectlPath('1.27') ? false : 'kubectl 1.27 is not installed' }, () => {
    const bin = kubectlPath('1.27')!;
    const r = kubectl(server, ['exec', '-i', 'shell', '--', 'sh', '-c', 'cat; exit 4'], { bin, input: 'spdy\n' });
    assert.deepEqual([r.code, r.stdout], [4, 'spdy\n']);
    assert.match(r.stderr, /command terminated with exit code 4/);
  });
});
