import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import type { ExecResult } from '../probes/handlers.js';
import { gracePeriodAfterPreStop, httpOutcomeError, lifecycleHttpRequest, runLifecycleHandler, shouldRunPreStop, type HookContext } from './lifecycle-hooks.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [] } };
const container: Container = { name: 'app', image: 'img', ports: [{ name: 'http', containerPort: 8080 }] };
const result = (exitCode: number, stdout = '', stderr = '', timedOut = false): ExecResult => ({ exitCode, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), timedOut });

function ctx(over: Partial<HookContext> = {}): HookContext {
  return {
    pod,
    container,
    podIP: '127.0.0.1',
    exec: async () => result(0),
    sleep: async () => {},
    timeoutMs: 5000,
    ...over,
  };
}

describe('exec handlers', () => {
  test('exit 0 succeeds; the command runs as written', async () => {
    let ran: string[] = [];
    const ok = await runLifecycleHandler({ exec: { command: ['sh', '-c', 'echo $(HOME)'] } }, ctx({ exec: async (cmd) => ((ran = cmd), result(0, 'out')) }));
    assert.equal(ok, undefined);
    assert.deepEqual(ran, ['sh', '-c', 'echo $(HOME)']);
  });

  test('a non-zero exit fails with upstream’s message', async () => {
    const msg = await runLifecycleHandler({ exec: { command: ['sh', '-c', 'exit 3'] } }, ctx({ exec: async () => result(3, 'partial\n', 'bad thing\n') }));
    assert.equal(msg, 'Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web_default(u1)" failed - error: command \'sh -c exit 3\' exited with 3: bad thing\n, message: "partial\\nbad thing\\n"');
  });

  test('a command that cannot run, and one that times out', async () => {
    const thrown = await runLifecycleHandler({ exec: { command: ['nope'] } }, ctx({ exec: async () => Promise.reject(new Error('exec: "nope": executable file not found in $PATH')) }));
    assert.equal(thrown, 'Exec lifecycle hook ([nope]) for Container "app" in Pod "web_default(u1)" failed - error: exec: "nope": executable file not found in $PATH, message: ""');
    const slow = await runLifecycleHandler({ exec: { command: ['sleep', '9'] } }, ctx({ exec: async () => result(-1, '', '', true) }));
    assert.match(slow!, /failed - error: command "sleep 9" timed out, message: ""$/);
  });
});

describe('httpGet handlers', () => {
  test('the request: pod IP by default, named port, lifecycle user agent unless set', () => {
    const req = lifecycleHttpRequest({ httpGet: { path: '/hook', port: 'http' } }, container, '10.0.0.5');
    assert.deepEqual(req, { scheme: 'http', host: '10.0.0.5', port: 8080, path: '/hook', headers: [{ name: 'User-Agent', value: 'kube-lifecycle/1.32' }] });
    const own = lifecycleHttpRequest({ httpGet: { host: 'example', port: 81, scheme: 'HTTPS', httpHeaders: [{ name: 'user-agent', value: 'mine' }] } }, container, '10.0.0.5');
    assert.deepEqual(own, { scheme: 'https', host: 'example', port: 81, path: '', headers: [{ name: 'user-agent', value: 'mine' }] });
  });

  test('any response succeeds, whatever its status; no response fails', () => {
    assert.equal(httpOutcomeError({ result: 'success', output: 'ok' }), undefined);
    assert.equal(httpOutcomeError({ result: 'failure', output: 'HTTP probe failed with statuscode: 500' }), undefined);
    assert.equal(httpOutcomeError({ result: 'failure', output: 'Get "http://x/": EOF' }), 'Get "http://x/": EOF');
  });

  test('against a real server: a 500 is a success, a closed port a failure', async () => {
    let headers: IncomingHttpHeaders = {};
    let url = '';
    const server = createServer((req, res) => {
      headers = req.headers;
      url = req.url ?? '';
      res.statusCode = 500;
      res.end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      assert.equal(await runLifecycleHandler({ httpGet: { path: '/start', port } }, ctx()), undefined);
      assert.equal(url, '/start');
      assert.equal(headers['user-agent'], 'kube-lifecycle/1.32');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const msg = await runLifecycleHandler({ httpGet: { path: '/start', port } }, ctx());
    assert.equal(msg, `HTTP lifecycle hook (/start) for Container "app" in Pod "web_default(u1)" failed - error: Get "http://127.0.0.1:${port}/start": dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  test('a port that cannot be resolved fails', async () => {
    const msg = await runLifecycleHandler({ httpGet: { port: 'missing' } }, ctx());
    assert.equal(msg, 'HTTP lifecycle hook () for Container "app" in Pod "web_default(u1)" failed - error: strconv.Atoi: parsing "missing": invalid syntax');
  });
});

describe('sleep handlers and others', () => {
  test('sleep waits its seconds, and fails when cut short', async () => {
    let waited = 0;
    assert.equal(await runLifecycleHandler({ sleep: { seconds: 3 } }, ctx({ sleep: async (ms) => void (waited = ms) })), undefined);
    assert.equal(waited, 3000);
    const ac = new AbortController();
    const msg = await runLifecycleHandler({ sleep: { seconds: 3 } }, ctx({ signal: ac.signal, sleep: async () => ac.abort() }));
    assert.equal(msg, 'Sleep lifecycle hook (3) for Container "app" in Pod "web_default(u1)" failed - error: container terminated before sleep hook finished');
  });

  test('a tcpSocket handler is not supported', async () => {
    const msg = await runLifecycleHandler({ tcpSocket: { port: 80 } } as LifecycleHandler, ctx());
    assert.match(msg!, /^Cannot run handler: invalid handler: /);
  });

  test('preStop: when it runs, and the grace period left after it', () => {
    const withHook: Container = { ...container, lifecycle: { preStop: { exec: { command: ['true'] } } } };
    assert.equal(shouldRunPreStop(withHook, true, 30), true);
    assert.equal(shouldRunPreStop(withHook, false, 30), false);
    assert.equal(shouldRunPreStop(withHook, true, 0), false);
    assert.equal(shouldRunPreStop(container, true, 30), false);
    assert.equal(gracePeriodAfterPreStop(30, 4_900), 26);
    assert.equal(gracePeriodAfterPreStop(30, 29_000), 2);
    assert.equal(gracePeriodAfterPreStop(5, 60_000), 2);
  });
});
