import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeAddresses } from './service-proxy.js';

test('NodePort and LoadBalancer listeners bind the Node\'s InternalIPs and loopback', () => {
  assert.deepEqual(nodeAddresses(undefined), ['127.0.0.1']);
  const node = { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }, { type: 'ExternalIP', address: '203.0.113.9' }] } };
  assert.deepEqual(nodeAddresses(node), ['10.0.0.5', '127.0.0.1']);
  assert.deepEqual(nodeAddresses({ status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } }), ['127.0.0.1']);
});
