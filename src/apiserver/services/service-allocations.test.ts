import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { MemoryStore } from '../../storage/memory.js';
import { NodePortAllocator, ServiceIPAllocator, firstServiceIP, parsePortRange, parseServiceCIDR } from './allocators.js';
import { initIPFamilyFields, ServiceAllocations } from './service-allocations.js';
import { pickFree, setBit } from './stored-range.js';

function setup(cidr = '10.43.0.0/29', ports = '30000-30003') {
  const store = new MemoryStore();
  const ips = new ServiceIPAllocator(store, cidr, () => 0);
  const nodePorts = new NodePortAllocator(store, ports, () => 0);
  return { store, ips, nodePorts, alloc: new ServiceAllocations(ips, nodePorts) };
}

const svc = (spec: Service['spec'], name = 's'): ApiObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec }) as ApiObject;
const specOf = (o: ApiObject) => (o as unknown as Service).spec!;

async function statusOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  assert.fail('expected a StatusError');
}

describe('ranges', () => {
  test('service CIDRs exclude network and broadcast; bad ones are refused', () => {
    assert.deepEqual(parseServiceCIDR('10.43.0.0/16'), { base: (10 << 24) + (43 << 16) + 1, size: 65534, text: '10.43.0.0/16' });
    assert.equal(firstServiceIP('10.43.0.0/16'), '10.43.0.1');
    assert.equal(firstServiceIP('127.10.5.7/16'), '127.10.0.1');
    assert.throws(() => parseServiceCIDR('10.0.0.0/8'), /too large/);
    assert.throws(() => parseServiceCIDR('fd00::/108'), /only IPv4/);
    assert.throws(() => parseServiceCIDR('nope'), /invalid service CIDR/);
    assert.deepEqual(parsePortRange('30000-32767'), { base: 30000, size: 2768, text: '30000-32767' });
    assert.throws(() => parsePortRange('32767-30000'), /invalid port range/);
  });

  test('dynamic picks prefer the upper part, then the static band', () => {
    const bits = new Uint8Array(2);
    assert.equal(pickFree(bits, 16, 4, () => 0), 4);
    for (let i = 4; i < 16; i++) setBit(bits, i, true);
    assert.equal(pickFree(bits, 16, 4, () => 0), 0);
    for (let i = 0; i < 4; i++) setBit(bits, i, true);
    assert.equal(pickFree(bits, 16, 4, () => 0), -1);
  });
});

describe('service allocations', () => {
  test('a ClusterIP service gets an address, single-stack IPv4 fields, and gives it back on delete', async () => {
    const { alloc, ips } = setup();
    const obj = svc({ ports: [{ port: 80 }], selector: { app: 'a' } });
    const txn = await alloc.beginCreate(obj, { dryRun: false });
    await txn.commit();
    const spec = specOf(obj);
    assert.match(spec.clusterIP!, /^10\.43\.0\.[1-6]$/);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    assert.deepEqual(spec.ipFamilies, ['IPv4']);
    assert.equal(spec.ipFamilyPolicy, 'SingleStack');
    await assert.rejects(ips.allocate(spec.clusterIP!), /already allocated/);
    await alloc.afterDelete(obj);
    await ips.allocate(spec.clusterIP!);
  });

  test('a requested address is reserved once; a second request and an out-of-range one get 422', async () => {
    const { alloc } = setup();
    await (await alloc.beginCreate(svc({ clusterIP: '10.43.0.2', clusterIPs: ['10.43.0.2'], ports: [{ port: 80 }] }), { dryRun: false })).commit();
    const dup = await statusOf(alloc.beginCreate(svc({ clusterIP: '10.43.0.2', clusterIPs: ['10.43.0.2'], ports: [{ port: 80 }] }, 't'), { dryRun: false }));
    assert.equal(dup.code, 422);
    assert.equal(dup.details?.causes?.[0].field, 'spec.clusterIPs');
    assert.match(dup.message, /failed to allocate IP 10\.43\.0\.2: provided IP is already allocated/);
    const out = await statusOf(alloc.beginCreate(svc({ clusterIP: '10.43.1.2', clusterIPs: ['10.43.1.2'], ports: [{ port: 80 }] }, 'u'), { dryRun: false }));
    assert.match(out.message, /the provided IP \(10\.43\.1\.2\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/29/);
  });

  test('a full range is an internal error; dry runs and reverted creates hold nothing', async () => {
    const { alloc } = setup('10.43.0.0/30');
    const dry = svc({ ports: [{ port: 80 }] });
    await alloc.beginCreate(dry, { dryRun: true });
    const a = await alloc.beginCreate(svc({ ports: [{ port: 80 }] }), { dryRun: false });
    await a.revert();
    await (await alloc.beginCreate(svc({ ports: [{ port: 80 }] }), { dryRun: false })).commit();
    await (await alloc.beginCreate(svc({ ports: [{ port: 80 }] }), { dryRun: false })).commit();
    const full = await statusOf(alloc.beginCreate(svc({ ports: [{ port: 80 }] }), { dryRun: false }));
    assert.equal(full.code, 500);
    assert.match(full.message, /failed to allocate a serviceIP: range is full/);
  });

  test('headless and ExternalName services get no address', async () => {
    const { alloc } = setup();
    const headless = svc({ clusterIP: 'None', clusterIPs: ['None'], selector: { a: 'b' }, ports: [{ port: 80 }] });
    await alloc.beginCreate(headless, { dryRun: false });
    assert.deepEqual(specOf(headless).clusterIPs, ['None']);
    assert.deepEqual(specOf(headless).ipFamilies, ['IPv4']);
    const selectorless = svc({ clusterIP: 'None', clusterIPs: ['None'] });
    await alloc.beginCreate(selectorless, { dryRun: false });
    assert.equal(specOf(selectorless).ipFamilyPolicy, 'RequireDualStack');
    assert.deepEqual(specOf(selectorless).ipFamilies, ['IPv4', 'IPv6']);
    const ext = svc({ type: 'ExternalName', externalName: 'example.com' });
    await alloc.beginCreate(ext, { dryRun: false });
    assert.equal(specOf(ext).clusterIP, undefined);
  });

  test('dual-stack and IPv6 requests are refused on this single-stack cluster', () => {
    assert.deepEqual(initIPFamilyFields({ ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 1 }] }, undefined).map((e) => e.detail), ['this cluster is not configured for dual-stack services']);
    assert.deepEqual(initIPFamilyFields({ ipFamilies: ['IPv6'], ports: [{ port: 1 }] }, undefined).map((e) => `${e.field}: ${e.detail}`), ['spec.ipFamilies[0]: not configured on this cluster']);
    assert.deepEqual(initIPFamilyFields({ clusterIP: 'fd00::1', clusterIPs: ['fd00::1'] }, undefined).map((e) => `${e.field}: ${e.detail}`), ['spec.clusterIPs[0]: IPv6 is not configured on this cluster']);
    const prefer: Service['spec'] = { ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 1 }] };
    assert.deepEqual(initIPFamilyFields(prefer, undefined), []);
    assert.deepEqual(prefer.ipFamilies, ['IPv4']);
  });

  test('NodePort: requested ports reserved, missing ones allocated, TCP and UDP of one port share one', async () => {
    const { alloc } = setup();
    const obj = svc({ type: 'NodePort', ports: [{ name: 'a', port: 53, protocol: 'TCP' }, { name: 'b', port: 53, protocol: 'UDP' }, { name: 'c', port: 80, nodePort: 30000 }] });
    await (await alloc.beginCreate(obj, { dryRun: false })).commit();
    const [a, b, c] = specOf(obj).ports!;
    assert.equal(a.nodePort, b.nodePort);
    assert.equal(c.nodePort, 30000);
    assert.notEqual(a.nodePort, 30000);
    const clash = await statusOf(alloc.beginCreate(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30000 }] }, 't'), { dryRun: false }));
    assert.equal(clash.details?.causes?.[0].field, 'spec.ports[0].nodePort');
    assert.match(clash.message, /provided port is already allocated/);
    const range = await statusOf(alloc.beginCreate(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }, 'u'), { dryRun: false }));
    assert.match(range.message, /provided port is not in the valid range\. The range of valid ports is 30000-30003/);
  });

  test('LoadBalancer with externalTrafficPolicy Local gets a health check port; allocateLoadBalancerNodePorts false skips node ports', async () => {
    const { alloc } = setup();
    const lb = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] });
    await (await alloc.beginCreate(lb, { dryRun: false })).commit();
    assert.equal(specOf(lb).ports![0].nodePort, undefined);
    assert.ok(specOf(lb).healthCheckNodePort! >= 30000);
  });

  test('update: NodePort → ClusterIP releases the ports only after the write; a failed write keeps them', async () => {
    const { alloc, nodePorts } = setup();
    const old = svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }], clusterIP: '10.43.0.3', clusterIPs: ['10.43.0.3'] });
    await (await alloc.beginCreate(old, { dryRun: false })).commit();
    const next = svc({ type: 'ClusterIP', ports: [{ port: 80 }], clusterIP: '10.43.0.3', clusterIPs: ['10.43.0.3'] });
    const failed = await alloc.beginUpdate(next, old, { dryRun: false });
    await failed.revert();
    await assert.rejects(nodePorts.allocate(30001), /already allocated/);
    const ok = await alloc.beginUpdate(svc({ type: 'ClusterIP', ports: [{ port: 80 }], clusterIP: '10.43.0.3', clusterIPs: ['10.43.0.3'] }), old, { dryRun: false });
    await ok.commit();
    await nodePorts.allocate(30001);
  });

  test('update: ClusterIP → NodePort allocates; ExternalName → ClusterIP gets an address; the reverse frees it', async () => {
    const { alloc, ips } = setup();
    const old = svc({ type: 'ClusterIP', ports: [{ port: 80 }] });
    await (await alloc.beginCreate(old, { dryRun: false })).commit();
    const ip = specOf(old).clusterIP!;
    const np = svc({ ...specOf(old), type: 'NodePort', externalTrafficPolicy: 'Cluster', ports: [{ port: 80 }] });
    await (await alloc.beginUpdate(np, old, { dryRun: false })).commit();
    assert.ok(specOf(np).ports![0].nodePort! >= 30000);
    const ext = svc({ type: 'ExternalName', externalName: 'x.example', ports: [{ port: 80 }] });
    await (await alloc.beginUpdate(ext, np, { dryRun: false })).commit();
    await ips.allocate(ip);
    const back = svc({ type: 'ClusterIP', ports: [{ port: 80 }] });
    await (await alloc.beginUpdate(back, ext, { dryRun: false })).commit();
    assert.ok(specOf(back).clusterIP);
    assert.notEqual(specOf(back).clusterIP, ip);
  });
});
