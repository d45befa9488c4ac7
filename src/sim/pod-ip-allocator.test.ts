import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PodIpAllocator } from './pod-ip-allocator.js';

describe('PodIpAllocator', () => {
  test('unique per pod, per-node blocks, reuse after release, adoption of existing IPs', () => {
    const a = new PodIpAllocator();
    assert.equal(a.allocate(0, 'ns/a'), '10.128.0.1');
    assert.equal(a.allocate(0, 'ns/a'), '10.128.0.1', 'stable for the same pod');
    assert.equal(a.allocate(0, 'ns/b'), '10.128.0.2');
    assert.equal(a.allocate(1, 'ns/c'), '10.128.2.1');
    a.reserve(0, 'ns/d', '10.128.0.3');
    assert.equal(a.allocate(0, 'ns/e'), '10.128.0.4');
    a.release('ns/a');
    assert.equal(a.allocate(0, 'ns/f'), '10.128.0.1');
    a.reserve(0, 'ns/g', '192.168.1.1');
    assert.equal(a.allocate(0, 'ns/g'), '10.128.0.5', 'an address outside the block is not adopted');
  });

  test('a full block says so', () => {
    const a = new PodIpAllocator();
    for (let i = 0; i < 510; i++) a.allocate(3, `p${i}`);
    assert.equal(a.allocate(3, 'p509'), '10.128.7.254');
    assert.throws(() => a.allocate(3, 'one-more'), /no free pod IP/);
  });
});
