import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointPicker } from './endpoint-picker.js';
import type { ProxyEndpoint } from './proxy-rules.js';

const ep = (ip: string): ProxyEndpoint => ({ ip, port: 80, ready: true, serving: true, terminating: false });
const eps = [ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')];

test('round-robin spreads new flows over the usable endpoints', () => {
  const p = new EndpointPicker();
  const picks = Array.from({ length: 6 }, () => p.pick(eps, '1.1.1.1', 0)!.ip);
  assert.deepEqual(picks, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
});

test('nothing usable, or every usable endpoint excluded, gives no endpoint', () => {
  const p = new EndpointPicker();
  assert.equal(p.pick([], '1.1.1.1', 0), undefined);
  assert.equal(p.pick(eps, '1.1.1.1', 0, undefined, new Set(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'])), undefined);
  assert.equal(p.pick(eps, '1.1.1.1', 0, undefined, new Set(['10.0.0.1:80', '10.0.0.2:80']))!.ip, '10.0.0.3');
});

test('ClientIP affinity pins a client until the timeout passes without a new flow', () => {
  const p = new EndpointPicker();
  const first = p.pick(eps, '1.1.1.1', 0, 10)!.ip;
  const other = p.pick(eps, '2.2.2.2', 0, 10)!.ip;
  assert.notEqual(first, other);
  assert.equal(p.pick(eps, '1.1.1.1', 9_000, 10)!.ip, first);
  assert.equal(p.pick(eps, '1.1.1.1', 18_000, 10)!.ip, first, 'each flow refreshes the pin');
});

test('a pinned endpoint that is no longer usable is replaced', () => {
  const p = new EndpointPicker();
  const first = p.pick(eps, '1.1.1.1', 0, 60)!;
  const rest = eps.filter((e) => e !== first);
  const next = p.pick(rest, '1.1.1.1', 1000, 60)!;
  assert.notEqual(next.ip, first.ip);
  assert.equal(p.pick(eps, '1.1.1.1', 2000, 60)!.ip, next.ip, 'the new pin holds');
});
