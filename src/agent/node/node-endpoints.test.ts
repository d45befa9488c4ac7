import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { byteQuantity, goDuration, kubeletConfigz, nodePodList } from './node-endpoints.js';

test('goDuration writes what Go writes for a time.Duration', () => {
  assert.equal(goDuration(10_000), '10s');
  assert.equal(goDuration(40_000), '40s');
  assert.equal(goDuration(90_000), '1m30s');
  assert.equal(goDuration(60_000), '1m0s');
  assert.equal(goDuration(3_600_000), '1h0m0s');
  assert.equal(goDuration(1500), '1.5s');
  assert.equal(goDuration(500), '500ms');
  assert.equal(goDuration(0), '0s');
});

test('byteQuantity: whole binary units get their suffix', () => {
  assert.equal(byteQuantity(10 * 2 ** 20), '10Mi');
  assert.equal(byteQuantity(2 ** 30), '1Gi');
  assert.equal(byteQuantity(1536), '1536');
  assert.equal(byteQuantity(3 * 1024), '3Ki');
  assert.equal(byteQuantity(100), '100');
});

test("kubeletConfigz: the agent's settings under kubeletconfig, in the kubelet's field names", () => {
  const input = {
    address: '127.0.0.1',
    port: 10250,
    clusterDomain: 'cluster.local',
    clusterDNS: ['10.43.0.10'],
    nodeStatusUpdateFrequencyMs: 10_000,
    nodeLeaseDurationSeconds: 40,
    maxPods: 110,
    resolvConf: '/etc/resolv.conf',
    containerLogMaxBytes: 10 * 2 ** 20,
    containerLogMaxFiles: 5,
  };
  assert.deepEqual(kubeletConfigz(input), {
    kubeletconfig: {
      enableServer: true,
      address: '127.0.0.1',
      port: 10250,
      clusterDomain: 'cluster.local',
      clusterDNS: ['10.43.0.10'],
      nodeStatusUpdateFrequency: '10s',
      nodeLeaseDurationSeconds: 40,
      maxPods: 110,
      resolvConf: '/etc/resolv.conf',
      containerLogMaxSize: '10Mi',
      containerLogMaxFiles: 5,
      registerNode: true,
    },
  });
  // No cluster DNS (disabled, or not looked up yet): the field is left out, as the kubelet's empty list is.
  assert.equal('clusterDNS' in kubeletConfigz({ ...input, clusterDNS: [] }).kubeletconfig, false);
  assert.equal('clusterDNS' in kubeletConfigz({ ...input, clusterDNS: undefined }).kubeletconfig, false);
  // Nothing the agent does not have.
  for (const k of ['staticPodPath', 'podCIDR']) assert.equal(k in kubeletConfigz(input).kubeletconfig, false);
});

test('nodePodList: a v1 PodList in namespace/name order, items without kind and apiVersion', () => {
  const pod = (ns: string, name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, uid: `${ns}-${name}` }, spec: { containers: [], nodeName: 'n1' } });
  const list = nodePodList([pod('default', 'b'), pod('kube-system', 'a'), pod('default', 'a')]);
  assert.equal(list.kind, 'PodList');
  assert.equal(list.apiVersion, 'v1');
  assert.deepEqual(list.metadata, {});
  assert.deepEqual(list.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`), ['default/a', 'default/b', 'kube-system/a']);
  assert.equal('kind' in list.items[0]!, false);
  assert.equal(list.items[0]!.spec?.nodeName, 'n1');
  assert.deepEqual(nodePodList([]).items, []);
});
