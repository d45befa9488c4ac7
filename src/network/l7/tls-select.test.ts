/**
 * Certificate choice on HTTPS listeners: the pure rules, and real handshakes (TLS 1.2 and 1.3)
 * against the proxy engine with RSA and ECDSA certificates on one listener.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { createLogger } from '../../util/logger.js';
import { generateFakeCertificate, generateSelfSignedCertificate } from '../ingress/fake-certificate.js';
import { ProxyEngine } from './proxy-engine.js';
import type { Listener, TlsCertificate } from './route-table.js';
import { baseCertificate, keyTypeRank, preferEcdsaSuites, selectCertificate } from './tls-select.js';

const fake = (name: string, type: string, hostnames: string[] = []): TlsCertificate & { type: string } => ({ hostnames, certPem: name, keyPem: name, type });
const typeOf = (c: TlsCertificate) => (c as { type?: string }).type;

describe('certificate choice rules', () => {
  test('SNI: exact name, then the longest one-label wildcard, then the default', () => {
    const tls = { certificates: [fake('w', 'ec', ['*.b.test']), fake('a', 'ec', ['a.b.test'])], default: fake('d', 'rsa') };
    assert.equal(selectCertificate(tls, 'A.b.test')?.certPem, 'a');
    assert.equal(selectCertificate(tls, 'x.b.test')?.certPem, 'w');
    assert.equal(selectCertificate(tls, 'y.x.b.test')?.certPem, 'd');
    assert.equal(selectCertificate(tls, undefined)?.certPem, 'd');
  });

  test('key types rank ECDSA first, EdDSA, RSA-PSS, RSA last; an unparseable key below all', () => {
    assert.deepEqual(['ec', 'ed25519', 'rsa-pss', 'rsa', undefined].map(keyTypeRank), [0, 1, 2, 3, -1]);
  });

  test('the base certificate is of the least preferred key type, the default when it ties', () => {
    const rsaDefault = fake('fake', 'rsa');
    assert.equal(baseCertificate({ certificates: [fake('a', 'ec', ['a']), fake('b', 'rsa', ['b'])], default: rsaDefault }, typeOf), rsaDefault);
    // An ECDSA default with an RSA certificate beside it: the RSA one, or the RSA SNI name would lose.
    assert.equal(baseCertificate({ certificates: [fake('a', 'ec', ['a']), fake('b', 'rsa', ['b']), fake('c', 'rsa', ['c'])], default: fake('a2', 'ec') }, typeOf)?.certPem, 'b');
    assert.equal(baseCertificate({ certificates: [fake('a', 'ec', ['a']), fake('b', 'ec', ['b'])] }, typeOf)?.certPem, 'a');
    assert.equal(baseCertificate({ certificates: [fake('bad', 'x', ['a']), fake('b', 'ec', ['b'])] }, (c) => (c.certPem === 'bad' ? undefined : 'ec'))?.certPem, 'b');
    assert.equal(baseCertificate({ certificates: [] }, typeOf), undefined);
  });

  test('ECDSA suites move ahead of the other TLS 1.2 suites, the rest in order', () => {
    assert.equal(
      preferEcdsaSuites('TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:HIGH:!aNULL'),
      'TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA256:HIGH:!aNULL',
    );
  });
});

describe('HTTPS handshakes with RSA and ECDSA certificates on one listener', () => {
  const engine = new ProxyEngine({ endpoints: { resolve: () => ({ kind: 'no-service' }) }, logger: createLogger('error') });
  let ingressPort = 0;
  let gatewayPort = 0;

  const listener = (name: string, tls: Listener['tls']): Listener => ({ name, address: '127.0.0.1', port: 0, protocol: 'HTTPS', tls, hosts: [] });
  const cert = (cn: string, keyType: 'rsa' | 'ec') => generateSelfSignedCertificate({ subject: `CN=${cn}`, keyType, dnsNames: [cn], hostnames: [cn] });

  before(async () => {
    const [rsa, ec, gwEc, gwRsa] = await Promise.all([cert('rsa.test', 'rsa'), cert('ec.test', 'ec'), cert('gw-ec.test', 'ec'), cert('gw-rsa.test', 'rsa')]);
    // As the Ingress controller builds it: Secret certificates by host, the fake one as default.
    const ingress = listener('ingress', { certificates: [rsa, ec], default: await generateFakeCertificate() });
    // As a Gateway builds it from two HTTPS listeners sharing a port: the ECDSA one first, and the default.
    const gateway = { ...listener('gateway', { certificates: [gwEc, gwRsa], default: gwEc }), address: '127.0.0.2' };
    await engine.setTable({ listeners: [ingress, gateway] });
    const states = engine.listeners();
    ingressPort = states.find((s) => s.name === 'ingress')!.boundPort!;
    gatewayPort = states.find((s) => s.name === 'gateway')!.boundPort!;
  });
  after(() => engine.close());

  const servedCN = (host: string, port: number, servername: string | undefined, version: SecureVersion) =>
    new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host, port, ...(servername ? { servername } : {}), rejectUnauthorized: false, minVersion: version, maxVersion: version }, () => {
        const cn = s.getPeerCertificate().subject.CN;
        assert.equal(s.getProtocol(), version);
        s.end();
        resolve(String(cn));
      });
      s.on('error', reject);
    });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version}: each Ingress host gets its Secret's certificate, RSA or ECDSA; others the fake one`, async () => {
      assert.equal(await servedCN('127.0.0.1', ingressPort, 'rsa.test', version), 'rsa.test');
      assert.equal(await servedCN('127.0.0.1', ingressPort, 'ec.test', version), 'ec.test');
      assert.equal(await servedCN('127.0.0.1', ingressPort, 'other.test', version), 'Kubernetes Ingress Controller Fake Certificate');
      assert.equal(await servedCN('127.0.0.1', ingressPort, undefined, version), 'Kubernetes Ingress Controller Fake Certificate');
    });

    test(`${version}: Gateway listeners sharing a port serve an ECDSA and an RSA Secret by SNI`, async () => {
      assert.equal(await servedCN('127.0.0.2', gatewayPort, 'gw-ec.test', version), 'gw-ec.test');
      assert.equal(await servedCN('127.0.0.2', gatewayPort, 'gw-rsa.test', version), 'gw-rsa.test');
      assert.equal(await servedCN('127.0.0.2', gatewayPort, 'other.test', version), 'gw-ec.test'); // the default
      assert.equal(await servedCN('127.0.0.2', gatewayPort, undefined, version), 'gw-rsa.test'); // the base, without SNI
    });
  }
});
