import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import { matchRequest } from '../l7/match.js';
import type { Listener, TlsCertificate } from '../l7/route-table.js';
import { compileIngresses, type CompileOptions, proxyReadTimeoutAnnotation, proxyReadTimeoutMs } from './compile.js';
import { generateFakeCertificate } from './fake-certificate.js';
import { desiredIngressClass, servesIngress } from './ingress-class.js';

let fake: TlsCertificate;
let other: TlsCertificate;
before(async () => {
  fake = await generateFakeCertificate();
  other = await generateFakeCertificate();
});

const services: Record<string, Service> = { 'ns/web': { metadata: { name: 'web', namespace: 'ns' }, spec: { ports: [{ name: 'http', port: 8080 }] } } };
const opts = (secrets: Record<string, Secret> = {}): CompileOptions => ({
  address: '127.0.0.1',
  httpPort: 80,
  httpsPort: 8443,
  defaultCertificate: fake,
  service: (ns, n) => services[`${ns}/${n}`],
  secret: (ns, n) => secrets[`${ns}/${n}`],
});
const ing = (name: string, created: string, spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({
  metadata: { name, namespace: 'ns', creationTimestamp: created, annotations },
  spec,
});
const be = (name: string, port: number | string) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const route = (l: Listener, host: string, path: string) => {
  const m = matchRequest(l, { host, path, query: '', method: 'GET', headers: {} });
  return m && (m.rule.backends[0]?.service ?? m.rule.filters?.[0]?.type ?? `status ${m.rule.failureStatus}`);
};

describe('Ingress → route table', () => {
  test('Exact before Prefix, longer paths first, element-wise prefixes, ImplementationSpecific as Prefix', () => {
    const { listeners } = compileIngresses(
      [
        ing('a', '2024-01-01T00:00:00Z', {
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  { path: '/', pathType: 'Prefix', backend: be('root', 80) },
                  { path: '/api', pathType: 'ImplementationSpecific', backend: be('api', 80) },
                  { path: '/api/v1', pathType: 'Prefix', backend: be('v1', 80) },
                  { path: '/api', pathType: 'Exact', backend: be('exact', 80) },
                ],
              },
            },
          ],
        }),
      ],
      opts(),
    );
    const [http] = listeners;
    assert.equal(route(http, 'a.example.com', '/api'), 'exact');
    assert.equal(route(http, 'a.example.com', '/api/'), 'api');
    assert.equal(route(http, 'a.example.com', '/api/v1/x'), 'v1');
    assert.equal(route(http, 'a.example.com', '/apix'), 'root');
    assert.equal(route(http, 'b.example.com', '/'), undefined);
  });

  test('upstream read timeout: 60 s, or the proxy-read-timeout annotation in whole seconds', () => {
    const withTimeout = (v?: string) => ing('t', '2024-01-01T00:00:00Z', { defaultBackend: be('web', 8080) }, v === undefined ? undefined : { [proxyReadTimeoutAnnotation]: v });
    assert.equal(proxyReadTimeoutMs(withTimeout()), 60_000);
    assert.equal(proxyReadTimeoutMs(withTimeout('5')), 5_000);
    assert.equal(proxyReadTimeoutMs(withTimeout(' 120 ')), 120_000);
    for (const bad of ['0', '-1', '1.5', '10s', '']) assert.equal(proxyReadTimeoutMs(withTimeout(bad)), 60_000, bad);
    const { listeners } = compileIngresses([withTimeout('7')], opts());
    const m = matchRequest(listeners[0], { host: 'any', path: '/', query: '', method: 'GET', headers: {} });
    assert.equal(m?.rule.readTimeoutMs, 7_000);
  });

  test('the oldest Ingress wins a host+path; named ports resolve through the Service; defaultBackend', () => {
    const { listeners, problems } = compileIngresses(
      [
        ing('young', '2024-02-01T00:00:00Z', { rules: [{ host: 'h', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('young', 80) }] } }] }),
        ing('old', '2024-01-01T00:00:00Z', {
          defaultBackend: be('fallback', 80),
          rules: [{ host: 'h', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('web', 'http') }, { path: '/x', pathType: 'Exact', backend: be('web', 'nope') }] } }, { host: 'g', http: { paths: [{ path: '/only', pathType: 'Exact', backend: be('web', 80) }] } }],
        }),
      ],
      opts(),
    );
    const [http] = listeners;
    assert.equal(route(http, 'h', '/'), 'web');
    assert.deepEqual(matchRequest(http, { host: 'h', path: '/', query: '', method: 'GET', headers: {} })?.rule.backends, [{ namespace: 'ns', service: 'web', port: 8080 }]);
    assert.equal(route(http, 'h', '/x'), 'status 503');
    assert.equal(route(http, 'g', '/other'), 'fallback');
    assert.equal(route(http, 'unknown', '/'), 'fallback');
    assert.deepEqual(problems.map((p) => [p.name, p.reason]).sort(), [['old', 'BackendNotFound'], ['young', 'Conflict']]);
  });

  test('TLS hosts: certificates from Secrets, default on failure, 308 to HTTPS unless opted out', () => {
    const secret: Secret = { type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(other.certPem).toString('base64'), 'tls.key': Buffer.from(other.keyPem).toString('base64') } };
    const rules = (host: string) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix' as const, backend: be('web', 8080) }] } });
    const { listeners, problems } = compileIngresses(
      [
        ing('a', '2024-01-01T00:00:00Z', { tls: [{ hosts: ['s.example.com'], secretName: 'good' }, { hosts: ['m.example.com'], secretName: 'missing' }], rules: [rules('s.example.com'), rules('m.example.com'), rules('plain.example.com')] }),
        ing('b', '2024-01-02T00:00:00Z', { tls: [{ hosts: ['n.example.com'], secretName: 'good' }], rules: [rules('n.example.com')] }, { 'capstan.io/ssl-redirect': 'false' }),
      ],
      opts({ 'ns/good': secret }),
    );
    const [http, https] = listeners;
    assert.equal(https.tls?.default, fake);
    assert.deepEqual(https.tls?.certificates.map((c) => c.hostnames), [['s.example.com'], ['n.example.com']]);
    assert.equal(route(http, 's.example.com', '/'), 'RequestRedirect');
    assert.deepEqual(matchRequest(http, { host: 's.example.com', path: '/', query: '', method: 'GET', headers: {} })?.rule.filters, [{ type: 'RequestRedirect', scheme: 'https', port: 8443, statusCode: 308 }]);
    assert.equal(route(http, 'm.example.com', '/'), 'RequestRedirect');
    assert.equal(route(http, 'n.example.com', '/'), 'web');
    assert.equal(route(http, 'plain.example.com', '/'), 'web');
    assert.equal(route(https, 's.example.com', '/'), 'web');
    assert.deepEqual(problems.map((p) => p.reason), ['InvalidTLSSecret']);
    assert.match(problems[0].message, /ns\/missing.*not found/);
  });
});

describe('IngressClass', () => {
  test('capstan is the default unless another class is', () => {
    assert.equal(desiredIngressClass([]).metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(desiredIngressClass([{ metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'k8s.io/ingress-nginx' } }]).metadata?.annotations, undefined);
  });
  test('which Ingresses this controller serves', () => {
    const ours = desiredIngressClass([]);
    const notDefault = desiredIngressClass([{ metadata: { name: 'x', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } }]);
    const nginx = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
    assert.ok(servesIngress({ spec: { ingressClassName: 'capstan' } }, [notDefault, nginx]));
    assert.ok(!servesIngress({ spec: { ingressClassName: 'nginx' } }, [ours, nginx]));
    assert.ok(servesIngress({ spec: {} }, [ours, nginx]));
    assert.ok(!servesIngress({ spec: {} }, [notDefault, nginx]));
    assert.ok(servesIngress({ metadata: { annotations: { 'kubernetes.io/ingress.class': 'capstan' } } }, [notDefault]));
  });
});
