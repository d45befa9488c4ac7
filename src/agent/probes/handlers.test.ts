import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { webcrypto } from 'node:crypto';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import { probeEvent, probeEventMessage, resolveContainerPort, runProbe, type ExecResult, type ProbeContext } from './handlers.js';
import { canonicalHeaderName } from './http-probe.js';
import {
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  grpcFrame,
  HEALTH_CHECK_PATH,
} from './grpc-probe.js';

const LOCAL = '127.0.0.1';
const portOf = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;
const listen = async <T extends { listen(port: number, host: string, cb: () => void): unknown }>(s: T): Promise<T> => {
  await new Promise<void>((resolve) => s.listen(0, LOCAL, resolve));
  return s;
};

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const s = await listen(createTcpServer());
  const port = portOf(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const container = (more: Partial<Container> = {}): Container => ({ name: 'app', image: 'x', ...more });
const noExec = async (): Promise<ExecResult> => {
  throw new Error('exec not expected');
};
const ctx = (more: Partial<ProbeContext> = {}): ProbeContext => ({ podIP: LOCAL, container: container(), exec: noExec, ...more });

/** A minimal self-signed certificate for the HTTPS case. */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=probe-test', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3_600_000), keys, signingAlgorithm: alg });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey));
  return { cert: cert.toString('pem'), key: `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n` };
}

describe('HTTP probes', () => {
  let server: Server;
  let port: number;
  let seen: IncomingHttpHeaders = {};
  let loops = 0;
  let https: Server;
  let httpsPort: number;

  before(async () => {
    server = await listen(
      createHttpServer((req, res) => {
        const path = req.url ?? '';
        if (path === '/headers') seen = req.headers;
        if (path === '/ok' || path === '/headers' || path === '/ok?x=1') return void res.end(`ok ${path}`);
        if (path === '/fail') return void res.writeHead(500).end('boom');
        if (path === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
        if (path === '/loop') return void (loops++, res.writeHead(302, { location: '/loop' }).end());
        if (path === '/elsewhere') return void res.writeHead(301, { location: `http://localhost:${port}/ok` }).end('moved');
        if (path === '/big') return void res.end('x'.repeat(100_000));
        if (path === '/hang') return; // never answers
        res.writeHead(404).end();
      }),
    );
    port = portOf(server);
    const tls = await selfSigned();
    https = await listen(createHttpsServer({ cert: tls.cert, key: tls.key }, (_req, res) => res.end('secure')));
    httpsPort = portOf(https);
  });
  after(() => {
    for (const s of [server, https]) {
      s.closeAllConnections();
      s.close();
    }
  });

  const get = (path: string, more: Partial<NonNullable<Probe['httpGet']>> = {}, probe: Partial<Probe> = {}) => runProbe({ httpGet: { port, path, ...more }, ...probe }, ctx());

  it('succeeds on 200 with the body as output', async () => {
    assert.deepEqual(await get('/ok'), { result: 'success', output: 'ok /ok' });
    assert.deepEqual(await get('ok?x=1'), { result: 'success', output: 'ok /ok?x=1' });
  });

  it('fails on 500 with the kubelet wording', async () => {
    const r = await get('/fail');
    assert.deepEqual(r, { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
    assert.equal(probeEventMessage('Liveness', r.output), 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    assert.deepEqual(probeEvent('Liveness', r), { type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed: HTTP probe failed with statuscode: 500' });
  });

  it('follows redirects to the same host', async () => {
    assert.deepEqual(await get('/redirect'), { result: 'success', output: 'ok /ok' });
  });

  it('counts a redirect to another host as a success with a warning', async () => {
    const r = await get('/elsewhere');
    assert.deepEqual(r, { result: 'success', output: 'Probe terminated redirects, Response body: moved', warning: true });
    assert.deepEqual(probeEvent('Readiness', r), { type: 'Warning', reason: 'ProbeWarning', message: 'Readiness probe warning: Probe terminated redirects, Response body: moved' });
  });

  it('gives up after 10 redirects', async () => {
    assert.deepEqual(await get('/loop'), { result: 'failure', output: 'Get "/loop": stopped after 10 redirects' });
    assert.equal(loops, 10); // the first request and nine followed redirects
  });

  it('sends the kubelet headers, the probe headers and a Host override', async () => {
    await get('/headers', { httpHeaders: [{ name: 'x-custom', value: 'a' }, { name: 'X-Custom', value: 'b' }, { name: 'Host', value: 'example.com' }] });
    assert.equal(seen['user-agent'], 'kube-probe/1.32');
    assert.equal(seen.accept, '*/*');
    assert.equal(seen['x-custom'], 'a, b');
    assert.equal(seen.host, 'example.com');
    assert.equal(seen.connection, 'close');

    await get('/headers', { httpHeaders: [{ name: 'User-Agent', value: 'mine' }, { name: 'Accept', value: '' }] });
    assert.equal(seen['user-agent'], 'mine');
    assert.equal(seen.accept, undefined);
    assert.equal(seen.host, `${LOCAL}:${port}`);
  });

  it('resolves named ports from the container and defaults the host to the pod IP', async () => {
    const c = container({ ports: [{ name: 'http', containerPort: port }] });
    assert.deepEqual(await runProbe({ httpGet: { port: 'http', path: '/ok' } }, ctx({ container: c })), { result: 'success', output: 'ok /ok' });
    assert.deepEqual(await runProbe({ httpGet: { port: String(port), path: '/ok' } }, ctx()), { result: 'success', output: 'ok /ok' });
  });

  it('reads at most 10 KiB of the body', async () => {
    const r = await get('/big');
    assert.equal(r.result, 'success');
    assert.equal(r.output.length, 10 * 1024);
  });

  it('speaks HTTPS without verifying the certificate', async () => {
    assert.deepEqual(await runProbe({ httpGet: { port: httpsPort, scheme: 'HTTPS', path: '/' } }, ctx()), { result: 'success', output: 'secure' });
  });

  it('reports a refused connection as Go does', async () => {
    const closed = await closedPort();
    assert.deepEqual(await runProbe({ httpGet: { port: closed, path: '/healthz' } }, ctx()), {
      result: 'failure',
      output: `Get "http://${LOCAL}:${closed}/healthz": dial tcp ${LOCAL}:${closed}: connect: connection refused`,
    });
  });

  it('honours the timeout', async () => {
    assert.deepEqual(await get('/hang', {}, { timeoutSeconds: 1 }), {
      result: 'failure',
      output: `Get "http://${LOCAL}:${port}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  it('cannot run with an unknown port name', async () => {
    const r = await get('/ok', { port: 'nope' });
    assert.deepEqual(r, { result: 'unknown', output: 'strconv.Atoi: parsing "nope": invalid syntax' });
    assert.equal(probeEvent('Startup', r)?.message, 'Startup probe errored and resulted in unknown state: strconv.Atoi: parsing "nope": invalid syntax');
  });
});

describe('TCP probes', () => {
  it('succeeds when the port accepts a connection', async () => {
    const s = await listen(createTcpServer((sock) => sock.destroy()));
    try {
      assert.deepEqual(await runProbe({ tcpSocket: { port: portOf(s) } }, ctx()), { result: 'success', output: '' });
      assert.deepEqual(await runProbe({ tcpSocket: { port: portOf(s), host: LOCAL } }, ctx({ podIP: '198.51.100.1' })), { result: 'success', output: '' });
    } finally {
      s.close();
    }
  });

  it('fails on a closed port with the dial error', async () => {
    const closed = await closedPort();
    const r = await runProbe({ tcpSocket: { port: closed } }, ctx());
    assert.deepEqual(r, { result: 'failure', output: `dial tcp ${LOCAL}:${closed}: connect: connection refused` });
    assert.equal(probeEventMessage('Readiness', r.output), `Readiness probe failed: dial tcp ${LOCAL}:${closed}: connect: connection refused`);
  });
});

describe('exec probes', () => {
  const fake = (result: Partial<ExecResult>, calls: { cmd: string[]; timeoutMs: number }[] = []) =>
    async (cmd: string[], timeoutMs: number): Promise<ExecResult> => {
      calls.push({ cmd, timeoutMs });
      return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false, ...result };
    };

  it('succeeds on exit 0, expanding the command against literal env values', async () => {
    const calls: { cmd: string[]; timeoutMs: number }[] = [];
    const c = container({ env: [{ name: 'FILE', value: '/run/app/healthy' }] });
    const r = await runProbe({ exec: { command: ['cat', '$(FILE)'] }, timeoutSeconds: 3 }, ctx({ container: c, exec: fake({ stdout: Buffer.from('fine\n') }, calls) }));
    assert.deepEqual(r, { result: 'success', output: 'fine\n' });
    assert.deepEqual(calls, [{ cmd: ['cat', '/run/app/healthy'], timeoutMs: 3000 }]);
  });

  it('fails on a non-zero exit with stdout then stderr as output', async () => {
    const r = await runProbe({ exec: { command: ['check'] } }, ctx({ exec: fake({ exitCode: 1, stdout: Buffer.from('out '), stderr: Buffer.from('err') }) }));
    assert.deepEqual(r, { result: 'failure', output: 'out err' });
  });

  it('fails when the command times out, defaulting the timeout to 1s', async () => {
    const calls: { cmd: string[]; timeoutMs: number }[] = [];
    const r = await runProbe({ exec: { command: ['sh', '-c', 'sleep 5'] } }, ctx({ exec: fake({ timedOut: true, exitCode: -1 }, calls) }));
    assert.deepEqual(r, { result: 'failure', output: 'command "sh -c sleep 5" timed out' });
    assert.equal(calls[0].timeoutMs, 1000);
  });

  it('is unknown when the command cannot be run', async () => {
    const r = await runProbe({ exec: { command: ['x'] } }, ctx({ exec: async () => Promise.reject(new Error('container not running')) }));
    assert.deepEqual(r, { result: 'unknown', output: 'container not running' });
  });
});

describe('gRPC probes', () => {
  let server: Http2Server;
  let port: number;
  const requests: { service: string; userAgent: string | undefined }[] = [];
  const statuses: Record<string, number> = { '': 1, db: 2 };

  before(async () => {
    server = await listen(
      createHttp2Server((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          const service = decodeHealthCheckRequest(body.subarray(5, 5 + body.readUInt32BE(1)));
          requests.push({ service, userAgent: req.headers['user-agent'] });
          if (req.url !== HEALTH_CHECK_PATH || service === 'unimplemented') {
            // Trailers-only answer, as grpc-go gives for an unknown method.
            res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown service grpc.health.v1.Health' });
            return void res.end();
          }
          if (!(service in statuses)) {
            res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown%20service' });
            return void res.end();
          }
          res.writeHead(200, { 'content-type': 'application/grpc' });
          res.addTrailers({ 'grpc-status': '0' });
          res.end(grpcFrame(encodeHealthCheckResponse(statuses[service])));
        });
      }),
    );
    port = portOf(server);
  });
  after(() => server.close());

  const check = (service?: string, p = port) => runProbe({ grpc: { port: p, service } }, ctx());

  it('succeeds when the service is SERVING', async () => {
    assert.deepEqual(await check(), { result: 'success', output: 'service healthy' });
    assert.deepEqual(requests.at(-1), { service: '', userAgent: 'kube-probe/1.32' });
  });

  it('fails with the reported status otherwise', async () => {
    assert.deepEqual(await check('db'), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    assert.equal(requests.at(-1)?.service, 'db');
  });

  it('reports RPC errors as the kubelet does', async () => {
    assert.deepEqual(await check('ghost'), { result: 'failure', output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service' });
    assert.deepEqual(await check('unimplemented'), {
      result: 'failure',
      output: 'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service grpc.health.v1.Health',
    });
  });

  it('fails when nothing listens', async () => {
    const closed = await closedPort();
    assert.deepEqual(await check(undefined, closed), {
      result: 'failure',
      output: `timeout: failed to connect service "${LOCAL}:${closed}" within 1s: context deadline exceeded`,
    });
  });

  it('codes the health messages', () => {
    assert.deepEqual([...encodeHealthCheckRequest('db')], [0x0a, 2, 0x64, 0x62]);
    assert.equal(encodeHealthCheckRequest('').length, 0);
    assert.equal(decodeHealthCheckRequest(encodeHealthCheckRequest('a'.repeat(300))), 'a'.repeat(300));
    assert.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 0);
    // Unknown fields of every wire type are skipped.
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x10, 0x05, 0x1a, 0x01, 0x00, 0x25, 1, 2, 3, 4, 0x29, 1, 2, 3, 4, 5, 6, 7, 8, 0x08, 0x02])), 2);
    assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x0a, 0x05, 0x01])));
    assert.deepEqual([...grpcFrame(Buffer.from([0x08, 0x01]))], [0, 0, 0, 0, 2, 0x08, 0x01]);
  });
});

describe('probe helpers', () => {
  it('resolves ports as upstream', () => {
    const c = container({ ports: [{ name: 'web', containerPort: 8080 }] });
    assert.equal(resolveContainerPort(80, c), 80);
    assert.equal(resolveContainerPort('web', c), 8080);
    assert.equal(resolveContainerPort('9090', c), 9090);
    assert.throws(() => resolveContainerPort(0, c), { message: 'invalid port number: 0' });
    assert.throws(() => resolveContainerPort('70000', c), { message: 'invalid port number: 70000' });
    assert.throws(() => resolveContainerPort('db', c), { message: 'strconv.Atoi: parsing "db": invalid syntax' });
  });

  it('canonicalises header names as Go does', () => {
    assert.equal(canonicalHeaderName('x-custom-header'), 'X-Custom-Header');
    assert.equal(canonicalHeaderName('USER-AGENT'), 'User-Agent');
    assert.equal(canonicalHeaderName('bad name'), 'bad name');
  });

  it('has no event for a plain success', () => {
    assert.equal(probeEvent('Liveness', { result: 'success', output: '' }), undefined);
  });
});
