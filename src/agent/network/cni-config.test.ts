import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeNetworkConfig, gatewayOf, cniEnvironment, cniFailure, cniSearchPath, loopbackNetworkConfig, parseCniResult } from './cni-config.js';
import { chooseNetworkMode, parseNetworkFlag } from './mode.js';

describe('CNI configuration', () => {
  const input = { podCidr: '10.42.3.0/24', clusterCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16', nodeIPs: ['192.168.1.5', '127.0.0.1', '192.168.1.5', 'fd00::1'], ipamDataDir: '/state/ipam' };

  test('bridge with host-local: gateway, no masquerade, no default route, routes to cluster, services and node', () => {
    const c = bridgeNetworkConfig(input) as Record<string, any>;
    assert.equal(c.type, 'bridge');
    assert.equal(c.bridge, 'capstan0');
    assert.equal(c.isGateway, true);
    assert.equal(c.isDefaultGateway, false);
    assert.equal(c.ipMasq, false);
    assert.deepEqual(c.ipam, {
      type: 'host-local',
      ranges: [[{ subnet: '10.42.3.0/24', gateway: '10.42.3.1' }]],
      routes: [
        { dst: '10.42.0.0/16', gw: '10.42.3.1' },
        { dst: '10.43.0.0/16', gw: '10.42.3.1' },
        { dst: '192.168.1.5/32', gw: '10.42.3.1' },
      ],
      dataDir: '/state/ipam',
    });
    assert.ok(!JSON.stringify(c).includes('0.0.0.0/0'));
  });

  test('the gateway is the first address of the pod CIDR', () => {
    assert.equal(gatewayOf('10.42.3.0/24'), '10.42.3.1');
    assert.equal(gatewayOf('10.42.3.77/24'), '10.42.3.1');
    assert.equal(gatewayOf('10.42.4.0/23'), '10.42.4.1');
    assert.throws(() => gatewayOf('nope'), /not an IPv4 CIDR/);
  });

  test('loopback', () => {
    assert.deepEqual(loopbackNetworkConfig(), { cniVersion: '1.0.0', name: 'capstan-loopback', type: 'loopback' });
  });

  test('environment of a plugin run', () => {
    const env = cniEnvironment({ command: 'ADD', containerId: 'abc', netns: '/run/netns/x', ifName: 'eth0', path: ['/a', '/b'] });
    assert.equal(env.CNI_COMMAND, 'ADD');
    assert.equal(env.CNI_CONTAINERID, 'abc');
    assert.equal(env.CNI_NETNS, '/run/netns/x');
    assert.equal(env.CNI_IFNAME, 'eth0');
    assert.equal(env.CNI_PATH, '/a:/b');
    assert.deepEqual(cniSearchPath('/x'), ['/x', '/usr/lib/cni', '/opt/cni/bin']);
    assert.deepEqual(cniSearchPath(undefined), ['/usr/lib/cni', '/opt/cni/bin']);
  });

  test('parses a 1.0.0 result', () => {
    const r = parseCniResult(
      JSON.stringify({
        cniVersion: '1.0.0',
        interfaces: [{ name: 'capstan0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/netns/x' }],
        ips: [{ interface: 2, address: '10.42.3.7/24', gateway: '10.42.3.1' }],
        routes: [{ dst: '10.42.0.0/16', gw: '10.42.3.1' }],
        dns: {},
      }),
    );
    assert.deepEqual(r, { ips: ['10.42.3.7'], cidrs: ['10.42.3.7/24'] });
    assert.deepEqual(parseCniResult('{"cniVersion":"1.0.0"}'), { ips: [], cidrs: [] });
    assert.throws(() => parseCniResult('nope'), /not JSON/);
    assert.throws(() => parseCniResult('{"ips":3}'), /not a list/);
  });

  test('failures carry the plugin error object, else stderr', () => {
    const e = cniFailure('bridge', 'ADD', JSON.stringify({ cniVersion: '1.0.0', code: 11, msg: 'failed to allocate', details: 'range full' }), '', 1);
    assert.equal(e.code, 11);
    assert.equal(e.message, 'plugin type="bridge" failed (add): failed to allocate: range full');
    assert.equal(cniFailure('loopback', 'DEL', '', 'boom\n', 1).message, 'plugin type="loopback" failed (del): boom');
    assert.equal(cniFailure('loopback', 'DEL', '', '', 2).message, 'plugin type="loopback" failed (del): exit status 2');
  });
});

describe('network mode choice', () => {
  const all = { bridge: '/usr/lib/cni/bridge', 'host-local': '/usr/lib/cni/host-local', loopback: '/usr/lib/cni/loopback' };

  test('auto: bridge as root with the plugins', () => {
    const c = chooseNetworkMode('auto', { uid: 0, plugins: all });
    assert.equal(c.mode, 'bridge');
    assert.deepEqual(c.mode === 'bridge' && c.cniPath, ['/usr/lib/cni']);
  });

  test('auto: host without root or without a plugin, saying why', () => {
    assert.deepEqual(chooseNetworkMode('auto', { uid: 1000, plugins: all }), { mode: 'host', why: 'the agent does not run as root' });
    assert.deepEqual(chooseNetworkMode('auto', { uid: 0, plugins: { ...all, 'host-local': undefined } }), { mode: 'host', why: 'the CNI plugins host-local are not installed' });
    assert.deepEqual(chooseNetworkMode('auto', { uid: 0, plugins: all, iproute: false }), { mode: 'host', why: 'iproute2 (ip) is not installed' });
  });

  test('asked-for modes', () => {
    assert.deepEqual(chooseNetworkMode('host', { uid: 0, plugins: all }), { mode: 'host', why: 'asked for' });
    assert.equal(chooseNetworkMode('bridge', { uid: 0, plugins: all }).mode, 'bridge');
    assert.throws(() => chooseNetworkMode('bridge', { uid: 0, plugins: {} }), /bridge networking cannot run here: the CNI plugins bridge, host-local, loopback are not installed/);
    assert.equal(parseNetworkFlag(undefined), 'auto');
    assert.throws(() => parseNetworkFlag('overlay'), /invalid --network/);
  });
});
