/**
 * The built-in Ingress controller end to end: two Node.js HTTP servers run as pods (process
 * runtime, each on its own port), Services for them, and an Ingress with two TLS hosts and path
 * rules served by `capstan server`'s proxy: certificates chosen by SNI, HTTP redirected to HTTPS,
 * X-Forwarded-* seen by the backends, and `kubectl get ingress` showing the class and address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SecureVersion, connect as tlsConnect } from 'node:tls';
import { capstanBin, kc, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';
import { eventually } from '../support/eventually.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? (!kubectlPath() ? 'needs kubectl' : hasOpenssl ? false : 'needs openssl') : 'needs the compiled server (npm run build)';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function fetchVia(scheme: 'http' | 'https', port: number, host: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path, headers: { host }, servername: host, rejectUnauthorized: false, agent: false as const };
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(opts, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function servedSubject(port: number, servername: string, version?: SecureVersion): Promise<string> {
  return new Promise((resolve, reject) => {
    const versions = version ? { minVersion: version, maxVersion: version } : {};
    const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...versions }, () => {
      const subject = new X509Certificate(s.getPeerX509Certificate()!.raw).subject;
      s.end();
      resolve(subject);
    });
    s.on('error', reject);
  });
}

/** A pod answering with its name, the path and the headers it received. */
const SERVER_JS = `require('http').createServer((q,s)=>{s.setHeader('content-type','application/json');s.end(JSON.stringify({name:process.env.NAME,url:q.url,headers:q.headers}))}).listen(Number(process.env.PORT),'127.0.0.1')`;

describe('ingress', { skip, timeout: 180_000 }, () => {
  let server: ServerHandle;
  let httpPort: number;
  let httpsPort: number;
  const certs = mkdtempSync(join(tmpdir(), 'capstan-e2e-ingress-'));

  const pod = (name: string, port: number) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'web',
          image: 'node',
          command: [process.execPath, '-e', SERVER_JS],
          env: [
            { name: 'NAME', value: name },
            { name: 'PORT', value: String(port) },
          ],
          ports: [{ name: 'http', containerPort: port }],
          readinessProbe: { httpGet: { path: '/ready', port }, periodSeconds: 1 },
        },
      ],
    },
  });
  const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } });

  before(async () => {
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    const [portA, portB] = [await freePort(), await freePort()];
    server = await startServer({ agent: true, extraArgs: ['--ingress-http-port', String(httpPort), '--ingress-https-port', String(httpsPort)] });
    // a.test's certificate is ECDSA, b.test's RSA: both must be served whatever the TLS version.
    for (const [host, key] of [['a.test', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']], ['b.test', ['rsa:2048']]] as const) {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', ...key, '-nodes', '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`, '-keyout', join(certs, `${host}.key`), '-out', join(certs, `${host}.crt`)]);
      assert.equal(r.status, 0, r.stderr.toString());
      kc(server, ['create', 'secret', 'tls', `${host.split('.')[0]}-tls`, '--cert', join(certs, `${host}.crt`), '--key', join(certs, `${host}.key`)]);
    }
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web' },
      spec: {
        ingressClassName: 'capstan',
        tls: [
          { hosts: ['a.test'], secretName: 'a-tls' },
          { hosts: ['b.test'], secretName: 'b-tls' },
        ],
        rules: [
          {
            host: 'a.test',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'alpha', port: { name: 'web' } } } },
                { path: '/beta', pathType: 'Prefix', backend: { service: { name: 'beta', port: { number: 80 } } } },
              ],
            },
          },
          { host: 'b.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'beta', port: { number: 80 } } } }] } },
        ],
      },
    };
    kc(server, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('alpha', portA), pod('beta', portB), service('alpha'), service('beta'), ingress] }) });
  });
  after(async () => {
    if (server) {
      kubectl(server, ['delete', 'pods', '--all', '--wait=true', '--timeout=60s']);
      await server.stop();
    }
    rmSync(certs, { recursive: true, force: true });
  });

  test('the capstan IngressClass is created as the default class', () => {
    const ic = JSON.parse(kc(server, ['get', 'ingressclass', 'capstan', '-o', 'json']));
    assert.equal(ic.spec.controller, 'capstan.io/ingress-controller');
    assert.equal(ic.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
  });

  test('an Ingress created without a class gets the default class; one with the legacy annotation keeps none', () => {
    kc(server, ['create', 'ingress', 'classless', '--rule=t.test/=alpha:80']);
    kc(server, ['create', 'ingress', 'legacy', '--rule=u.test/=alpha:80', '--annotation', 'kubernetes.io/ingress.class=other']);
    const classes = kc(server, ['get', 'ingress', 'classless', 'legacy', '--no-headers']).trim().split('\n').map((l) => l.trim().split(/\s+/).slice(0, 2));
    assert.deepEqual(classes, [['classless', 'capstan'], ['legacy', '<none>']]);
    kc(server, ['delete', 'ingress', 'classless', 'legacy']);
  });

  test('HTTPS requests reach the backend of their host and path, with X-Forwarded-* set', async () => {
    const seen = await eventually(
      'the alpha pod behind a.test',
      async () => {
        const r = await fetchVia('https', httpsPort, 'a.test', '/hello?x=1').catch(() => undefined);
        return r?.status === 200 ? (JSON.parse(r.body) as { name: string; url: string; headers: Record<string, string> }) : undefined;
      },
      90_000,
      250,
    );
    assert.equal(seen.name, 'alpha');
    assert.equal(seen.url, '/hello?x=1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-host'], 'a.test');
    assert.equal(seen.headers['x-forwarded-port'], String(httpsPort));
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
    const beta = await eventually('the beta pod', async () => {
      const r = await fetchVia('https', httpsPort, 'a.test', '/beta/x');
      return r.status === 200 ? JSON.parse(r.body).name : undefined;
    }, 60_000, 250);
    assert.equal(beta, 'beta');
    assert.equal(JSON.parse((await fetchVia('https', httpsPort, 'b.test', '/')).body).name, 'beta');
    assert.equal((await fetchVia('https', httpsPort, 'c.test', '/')).status, 404);
  });

  test('each TLS host gets its own certificate by SNI (ECDSA and RSA, TLS 1.2 and 1.3), others the fake default', async () => {
    for (const version of [undefined, 'TLSv1.2', 'TLSv1.3'] as const) {
      assert.equal(await servedSubject(httpsPort, 'a.test', version), 'CN=a.test', `a.test ${version ?? ''}`);
      assert.equal(await servedSubject(httpsPort, 'b.test', version), 'CN=b.test', `b.test ${version ?? ''}`);
      assert.match(await servedSubject(httpsPort, 'unknown.test', version), /CN=Kubernetes Ingress Controller Fake Certificate/);
    }
  });

  test('plain HTTP to a TLS host is redirected to HTTPS with 308', async () => {
    const r = await fetchVia('http', httpPort, 'a.test', '/page?q=2');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, `https://a.test:${httpsPort}/page?q=2`);
  });

  test('kubectl get ingress shows the class and the address; a Sync event is recorded', async () => {
    const row = await eventually('the ingress address', () => {
      const out = kc(server, ['get', 'ingress', 'web', '--no-headers']);
      return /127\.0\.0\.1/.test(out) ? out : undefined;
    });
    const cols = row.trim().split(/\s+/);
    assert.equal(cols[0], 'web');
    assert.equal(cols[1], 'capstan');
    assert.equal(cols[2], 'a.test,b.test');
    assert.equal(cols[3], '127.0.0.1');
    assert.match(row, /\s80, 443\s/); // PORTS, as upstream prints them
    const events = await eventually('the Sync event', () => {
      const out = kc(server, ['get', 'events', '--field-selector', 'involvedObject.kind=Ingress,reason=Sync', '-o', 'jsonpath={.items[*].message}']);
      return out || undefined;
    });
    assert.match(events, /Scheduled for sync/);
  });

  test('a missing TLS Secret is reported and its host served with the default certificate; deleted Ingresses stop being served', async () => {
    const extra = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'extra', annotations: { 'capstan.io/ssl-redirect': 'false' } },
      spec: { tls: [{ hosts: ['c.test'], secretName: 'nope' }], rules: [{ host: 'c.test', http: { paths: [{ path: '/', pathType: 'Exact', backend: { service: { name: 'alpha', port: { number: 80 } } } }] } }] },
    };
    kc(server, ['apply', '-f', '-'], { input: JSON.stringify(extra) });
    const warning = await eventually('the InvalidTLSSecret event', () => {
      const out = kc(server, ['get', 'events', '--field-selector', 'involvedObject.name=extra,reason=InvalidTLSSecret', '-o', 'jsonpath={.items[*].message}']);
      return out || undefined;
    });
    assert.match(warning, /default\/nope" not found/);
    // No class named: served because capstan is the default class; no redirect (opted out).
    const plain = await eventually('c.test over HTTP', async () => {
      const r = await fetchVia('http', httpPort, 'c.test', '/');
      return r.status === 200 ? r : undefined;
    });
    assert.equal(JSON.parse(plain.body).name, 'alpha');
    assert.match(await servedSubject(httpsPort, 'c.test'), /Fake Certificate/);
    kc(server, ['delete', 'ingress', 'web', 'extra']);
    await eventually('a.test no longer routed', async () => ((await fetchVia('https', httpsPort, 'a.test', '/')).status === 404 ? true : undefined));
  });
});
