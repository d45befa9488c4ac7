import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podDnsConfig } from './pod-dns.js';

const node = { clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', hostResolvConf: 'search corp.example\nnameserver 192.0.2.53\n', nodeIPs: ['10.0.0.5'] };

test('ClusterFirst pods get the cluster DNS, the search path and ndots:5', () => {
  const r = podDnsConfig({ metadata: { namespace: 'ml' }, spec: { containers: [] } }, node);
  assert.deepEqual(r.config, { servers: ['10.43.0.10'], searches: ['ml.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'], options: ['ndots:5'] });
  assert.deepEqual(r.warnings, []);
});

test('Default pods get the node resolv.conf; without cluster DNS ClusterFirst falls back with a warning', () => {
  assert.deepEqual(podDnsConfig({ metadata: { namespace: 'ml' }, spec: { containers: [], dnsPolicy: 'Default' } }, node).config.servers, ['192.0.2.53']);
  const r = podDnsConfig({ metadata: { namespace: 'ml' }, spec: { containers: [] } }, { ...node, clusterDNS: [] });
  assert.deepEqual(r.config.servers, ['192.0.2.53']);
  assert.match(r.warnings[0], /Falling back to "Default" policy/);
});
