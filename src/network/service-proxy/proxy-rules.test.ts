import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { defaultAffinitySeconds, planProxy, usableEndpoints, type ProxyEndpoint, type ServicePortRule } from './proxy-rules.js';

const node = { name: 'n1', addresses: ['10.0.0.5', '127.0.0.1'] };

function svc(name: string, spec: Service['spec']): Service {
  return { metadata: { namespace: 'default', name }, spec: { clusterIP: '127.10.0.7', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec } };
}

function slice(service: string, eps: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean; node?: string }[], port = 8080, portName = 'http'): EndpointSlice {
  return {
    metadata: { namespace: 'default', name: `${service}-abc`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: portName, port, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating } })),
  };
}

test('a ClusterIP Service listens on its ClusterIP at each port, with the endpoints of its slices', () => {
  const plan = planProxy([svc('web', {})], [slice('web', [{ ip: '127.0.0.1' }, { ip: '127.0.0.2', ready: false }])], node);
  assert.deepEqual(plan.listeners.map((l) => [l.key, l.kind, l.scope, l.ruleId]), [['TCP/127.10.0.7:80', 'ClusterIP', 'internal', 'default/web:http/TCP']]);
  const rule = plan.rules.get('default/web:http/TCP')!;
  assert.deepEqual(rule.endpoints.map((e) => [e.ip, e.port, e.ready, e.serving, e.terminating]), [['127.0.0.1', 8080, true, true, false], ['127.0.0.2', 8080, false, false, false]]);
});

test('headless and ExternalName Services get no listener', () => {
  const plan = planProxy([svc('h', { clusterIP: 'None' }), svc('x', { type: 'ExternalName', externalName: 'example.com', clusterIP: undefined })], [], node);
  assert.equal(plan.listeners.length, 0);
});

test('NodePort listens on every node address; LoadBalancer also at the service port unless it has a class', () => {
  const np = svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
  const lb = svc('lb', { type: 'LoadBalancer', clusterIP: '127.10.0.8', ports: [{ name: 'http', port: 8081, nodePort: 30081 }] });
  const other = svc('other', { type: 'LoadBalancer', clusterIP: '127.10.0.9', loadBalancerClass: 'example.com/lb', ports: [{ name: 'http', port: 8082, nodePort: 30082 }] });
  const keys = planProxy([np, lb, other], [], node).listeners.map((l) => `${l.kind} ${l.key}`);
  assert.deepEqual(keys.sort(), [
    'ClusterIP TCP/127.10.0.7:80',
    'ClusterIP TCP/127.10.0.8:8081',
    'ClusterIP TCP/127.10.0.9:8082',
    'LoadBalancer TCP/10.0.0.5:8081',
    'LoadBalancer TCP/127.0.0.1:8081',
    'NodePort TCP/10.0.0.5:30080',
    'NodePort TCP/10.0.0.5:30081',
    'NodePort TCP/10.0.0.5:30082',
    'NodePort TCP/127.0.0.1:30080',
    'NodePort TCP/127.0.0.1:30081',
    'NodePort TCP/127.0.0.1:30082',
  ]);
});

test('UDP ports get UDP listeners; SCTP ports are reported as unsupported', () => {
  const s = svc('dns', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'sctp', port: 99, protocol: 'SCTP' }] });
  const plan = planProxy([s], [], node);
  assert.deepEqual(plan.listeners.map((l) => l.key), ['UDP/127.10.0.7:53']);
  assert.deepEqual(plan.unsupported, ['default/dns:99/SCTP']);
});

test('slice ports are matched by name and protocol; slices of other Services and FQDN slices are ignored', () => {
  const s = svc('web', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] });
  const a = slice('web', [{ ip: '127.0.0.1' }], 9000, 'a');
  const b = slice('web', [{ ip: '127.0.0.1' }], 9001, 'b');
  const foreign = slice('other', [{ ip: '127.0.0.9' }], 9000, 'a');
  const fqdn = { ...slice('web', [{ ip: 'example.com' }], 9000, 'a'), addressType: 'FQDN' };
  const plan = planProxy([s], [a, b, foreign, fqdn], node);
  assert.deepEqual(plan.rules.get('default/web:a/TCP')!.endpoints.map((e) => `${e.ip}:${e.port}`), ['127.0.0.1:9000']);
  assert.deepEqual(plan.rules.get('default/web:b/TCP')!.endpoints.map((e) => `${e.ip}:${e.port}`), ['127.0.0.1:9001']);
});

test('an address listed twice (pods sharing the node network) is one endpoint with the best conditions', () => {
  const plan = planProxy([svc('web', {})], [slice('web', [{ ip: '127.0.0.1', ready: false, serving: true, terminating: true }, { ip: '127.0.0.1', ready: true }])], node);
  assert.deepEqual(plan.rules.get('default/web:http/TCP')!.endpoints, [{ ip: '127.0.0.1', port: 8080, nodeName: undefined, ready: true, serving: true, terminating: false }]);
});

test('ClientIP affinity takes the configured timeout or the default of three hours', () => {
  const a = planProxy([svc('a', { sessionAffinity: 'ClientIP' })], [], node).rules.get('default/a:http/TCP')!;
  const b = planProxy([svc('b', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], [], node).rules.get('default/b:http/TCP')!;
  assert.equal(a.affinitySeconds, defaultAffinitySeconds);
  assert.equal(b.affinitySeconds, 60);
});

function rule(endpoints: Partial<ProxyEndpoint>[], extra: Partial<ServicePortRule> = {}): ServicePortRule {
  return {
    id: 'default/web:http/TCP',
    namespace: 'default',
    name: 'web',
    portName: 'http',
    protocol: 'TCP',
    internalLocal: false,
    externalLocal: false,
    endpoints: endpoints.map((e, i) => ({ ip: `10.0.0.${i + 1}`, port: 80, ready: false, serving: false, terminating: false, ...e })),
    ...extra,
  };
}

test('usable endpoints: ready ones; terminating ones only while none is ready', () => {
  const r = rule([{ ready: true }, { serving: true, terminating: true }, {}]);
  assert.deepEqual(usableEndpoints(r, 'internal', 'n1').map((e) => e.ip), ['10.0.0.1']);
  const draining = rule([{ serving: true, terminating: true }, { serving: false, terminating: true }, {}]);
  assert.deepEqual(usableEndpoints(draining, 'internal', 'n1').map((e) => e.ip), ['10.0.0.1']);
  assert.deepEqual(usableEndpoints(rule([{}]), 'internal', 'n1'), []);
});

test('usable endpoints: a Local traffic policy keeps only this node\'s, with no fallback to others', () => {
  const eps = [{ ready: true, nodeName: 'n1' }, { ready: true, nodeName: 'n2' }, { serving: true, terminating: true, nodeName: 'n1' }];
  const internal = rule(eps, { internalLocal: true });
  assert.deepEqual(usableEndpoints(internal, 'internal', 'n1').map((e) => e.ip), ['10.0.0.1']);
  assert.deepEqual(usableEndpoints(internal, 'external', 'n1').map((e) => e.ip), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(usableEndpoints(internal, 'internal', 'n3'), []);
  const external = rule(eps, { externalLocal: true });
  assert.deepEqual(usableEndpoints(external, 'external', 'n2').map((e) => e.ip), ['10.0.0.2']);
  assert.deepEqual(usableEndpoints(external, 'internal', 'n2').map((e) => e.ip), ['10.0.0.1', '10.0.0.2']);
  const localDraining = rule([{ ready: true, nodeName: 'n2' }, { serving: true, terminating: true, nodeName: 'n1' }], { internalLocal: true });
  assert.deepEqual(usableEndpoints(localDraining, 'internal', 'n1').map((e) => e.ip), ['10.0.0.2']);
});
