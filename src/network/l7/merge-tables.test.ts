import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRouteTables } from './merge-tables.js';
import type { Listener, TlsCertificate } from './route-table.js';
import { selectCertificate } from './tls-select.js';

const cert = (name: string, hostnames: string[]): TlsCertificate => ({ hostnames, certPem: name, keyPem: name });
const l = (name: string, port: number, hosts: Listener['hosts'], tls?: Listener['tls']): Listener => ({ name, address: '0.0.0.0', port, protocol: tls ? 'HTTPS' : 'HTTP', hosts, tls });
const r = (source: string) => ({ matches: [], backends: [], source });

describe('merging producers’ tables', () => {
  test('listeners on one address+port merge; same-named hosts merge their rules in part order', () => {
    const merged = mergeRouteTables([
      { listeners: [l('ingress-http', 80, [{ hostname: 'a', rules: [r('ing')] }]), l('ingress-https', 443, [], { certificates: [cert('i', ['a'])], default: cert('fake', []) })] },
      { listeners: [l('gw-http', 80, [{ hostname: 'a', rules: [r('gw')] }, { hostname: 'b', rules: [r('gw-b')] }]), l('gw-8080', 8080, []), l('gw-https', 443, [], { certificates: [cert('g', ['b'])], default: cert('gwdef', []) })] },
    ]);
    assert.deepEqual(merged.listeners.map((x) => [x.name, x.port]), [['ingress-http', 80], ['ingress-https', 443], ['gw-8080', 8080]]);
    assert.deepEqual(merged.listeners[0].hosts.map((h) => [h.hostname, h.rules.map((x) => x.source)]), [['a', ['ing', 'gw']], ['b', ['gw-b']]]);
    assert.deepEqual(merged.listeners[1].tls?.certificates.map((c) => c.certPem), ['i', 'g']);
    assert.equal(merged.listeners[1].tls?.default?.certPem, 'fake');
  });
});

describe('certificate selection by SNI', () => {
  const tls = { certificates: [cert('exact', ['a.example.com']), cert('wild', ['*.example.com']), cert('deeper', ['*.b.example.com'])], default: cert('default', []) };
  test('exact, then the longest one-label wildcard, then the default', () => {
    assert.equal(selectCertificate(tls, 'a.example.com')?.certPem, 'exact');
    assert.equal(selectCertificate(tls, 'x.example.com')?.certPem, 'wild');
    assert.equal(selectCertificate(tls, 'x.b.example.com')?.certPem, 'deeper');
    assert.equal(selectCertificate(tls, 'x.y.a.example.com')?.certPem, 'default');
    assert.equal(selectCertificate(tls, undefined)?.certPem, 'default');
    assert.equal(selectCertificate({ certificates: [cert('only', ['z'])] }, 'q')?.certPem, 'only');
  });
});
