import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterEndpointAddress } from './bootstrap.js';

test('the kubernetes Endpoints hold the advertise address unless nothing could reach it there', () => {
  assert.equal(masterEndpointAddress('192.0.2.10'), '192.0.2.10');
  // Loopback is kept (pods reach it through the node's service proxy), unlike upstream.
  for (const loopback of ['127.0.0.1', '127.1.2.3', '::1']) assert.equal(masterEndpointAddress(loopback), loopback);
  assert.equal(masterEndpointAddress('10.0.0.1'), '10.0.0.1');
  assert.equal(masterEndpointAddress('2001:db8::1'), '2001:db8::1');
  for (const refused of [undefined, '', '0.0.0.0', '::', '169.254.1.1', 'fe80::1', 'not-an-ip']) assert.equal(masterEndpointAddress(refused), undefined, String(refused));
});
