import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrSetConfig, nextFreeSubnet, occupiedSubnets, parseIpv4Cidr, subnetCount } from './cidr-set.js';

describe('node pod CIDR allocation', () => {
  const cfg = cidrSetConfig('10.42.0.0/16', 24);

  test('parses CIDRs and clears host bits', () => {
    assert.deepEqual(parseIpv4Cidr('10.42.3.7/24'), { base: ((10 * 256 + 42) * 256 + 3) * 256, prefix: 24 });
    assert.equal(parseIpv4Cidr('10.42.0.0'), undefined);
    assert.equal(parseIpv4Cidr('300.1.1.1/8'), undefined);
    assert.equal(parseIpv4Cidr('fd00::/64'), undefined);
  });

  test('hands out the lowest free /24, never one in use', () => {
    assert.equal(subnetCount(cfg), 256);
    assert.equal(nextFreeSubnet(cfg, []), '10.42.0.0/24');
    assert.equal(nextFreeSubnet(cfg, ['10.42.0.0/24']), '10.42.1.0/24');
    assert.equal(nextFreeSubnet(cfg, ['10.42.0.0/24', '10.42.2.0/24']), '10.42.1.0/24');
    // A released subnet (its Node gone) is handed out again.
    assert.equal(nextFreeSubnet(cfg, ['10.42.1.0/24']), '10.42.0.0/24');
  });

  test('CIDRs outside the cluster CIDR occupy nothing; larger ones occupy every subnet they cover', () => {
    assert.deepEqual([...occupiedSubnets(cfg, ['192.168.0.0/24', 'junk'])], []);
    assert.deepEqual([...occupiedSubnets(cfg, ['10.42.0.0/23'])].sort(), [0, 1]);
    assert.deepEqual([...occupiedSubnets(cfg, ['10.42.5.128/25'])], [5]);
    assert.equal(occupiedSubnets(cfg, ['10.0.0.0/8']).size, 256);
  });

  test('undefined once the cluster CIDR is exhausted', () => {
    const small = cidrSetConfig('10.42.0.0/23', 24);
    assert.equal(nextFreeSubnet(small, ['10.42.0.0/24']), '10.42.1.0/24');
    assert.equal(nextFreeSubnet(small, ['10.42.0.0/24', '10.42.1.0/24']), undefined);
  });

  test('rejects bad flags', () => {
    assert.throws(() => cidrSetConfig('10.42.0.0', 24), /invalid --cluster-cidr/);
    assert.throws(() => cidrSetConfig('10.42.0.0/16', 8), /invalid --node-cidr-mask-size/);
    assert.throws(() => cidrSetConfig('10.0.0.0/8', 30), /too large/);
  });
});
