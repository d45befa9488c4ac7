import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../util/logger.js';
import { HostPortForwarder, hostPortMappings } from './host-ports.js';

const pod = (ports: { containerPort: number; hostPort?: number; protocol?: string; hostIP?: string }[], status: Pod['status'] = { podIP: '127.0.0.1', phase: 'Running' }, hostNetwork = false): Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { hostNetwork, containers: [{ name: 'c', ports }] },
  status,
});

test('hostPortMappings: declared hostPorts of pods with an address; none for hostNetwork, IP-less or finished pods', () => {
  assert.deepEqual(hostPortMappings(pod([{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' }, { containerPort: 9 }])).map((m) => [m.key, m.containerPort]), [
    ['TCP/0.0.0.0:8080', 80],
    ['UDP/127.0.0.1:5353', 53],
  ]);
  assert.deepEqual(hostPortMappings(pod([{ containerPort: 80, hostPort: 8080 }], { phase: 'Pending' })), []);
  assert.deepEqual(hostPortMappings(pod([{ containerPort: 80, hostPort: 8080 }], { podIP: '10.42.0.2', phase: 'Succeeded' })), []);
  assert.deepEqual(hostPortMappings(pod([{ containerPort: 80, hostPort: 80 }], { podIP: '10.0.0.1', phase: 'Running' }, true)), []);
});

test('the forwarder carries a hostPort to the pod and closes it when the pod goes', async () => {
  const backend = createServer((_q, res) => res.end('pod')).listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const target = (backend.address() as AddressInfo).port;
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const hostPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const fwd = new HostPortForwarder(createLogger('error'));
  try {
    await fwd.sync([pod([{ containerPort: target, hostPort, hostIP: '127.0.0.1' }])]);
    assert.equal(await (await fetch(`http://127.0.0.1:${hostPort}/`)).text(), 'pod');
    await fwd.sync([]);
    await assert.rejects(fetch(`http://127.0.0.1:${hostPort}/`, { headers: { connection: 'close' } }));
  } finally {
    await fwd.close();
    backend.close();
  }
});
