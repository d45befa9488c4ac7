import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { serviceStrategy } from './service.js';
import { create, update } from './test-helpers.js';

const meta = { name: 'web', namespace: 'default' };

describe('Service', () => {
  test('defaults type, affinity, protocol, targetPort and traffic policy', () => {
    const { obj, errors } = create(serviceStrategy, { metadata: meta, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    assert.deepEqual(errors, []);
    assert.deepEqual(obj.spec, {
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    });
    assert.deepEqual(obj.status, {});
  });

  test('NodePort and LoadBalancer get externalTrafficPolicy; LoadBalancer allocateLoadBalancerNodePorts', () => {
    const { obj } = create(serviceStrategy, { metadata: meta, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    const spec = obj.spec as Record<string, unknown>;
    assert.equal(spec.externalTrafficPolicy, 'Cluster');
    assert.equal(spec.allocateLoadBalancerNodePorts, true);
  });

  test('ClientIP affinity gets the default timeout', () => {
    const { obj } = create(serviceStrategy, { metadata: meta, spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } });
    assert.deepEqual((obj.spec as Record<string, unknown>).sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });

  test('ports are required unless headless or ExternalName', () => {
    assert.deepEqual(create(serviceStrategy, { metadata: meta, spec: {} }).errors, ['spec.ports: Required value']);
    assert.deepEqual(create(serviceStrategy, { metadata: meta, spec: { clusterIP: 'None' } }).errors, []);
    assert.deepEqual(create(serviceStrategy, { metadata: meta, spec: { type: 'ExternalName', externalName: 'example.com' } }).errors, []);
    assert.deepEqual(create(serviceStrategy, { metadata: meta, spec: { type: 'ExternalName' } }).errors, ['spec.externalName: Required value']);
  });

  test('port rules: range, names required and unique with several ports, type enum', () => {
    const { errors } = create(serviceStrategy, {
      metadata: meta,
      spec: { type: 'Weird', ports: [{ port: 0 }, { name: 'a', port: 81 }, { name: 'a', port: 82, protocol: 'XTP' }] },
    });
    assert.deepEqual(errors, [
      'spec.ports[0].name: Required value',
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[2].name: Duplicate value: "a"',
      'spec.ports[2].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]);
  });

  test('nodePort is forbidden for ClusterIP services', () => {
    const { errors } = create(serviceStrategy, { metadata: meta, spec: { ports: [{ port: 80, nodePort: 30000 }] } });
    assert.deepEqual(errors, ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  });

  test('a single clusterIP fills clusterIPs on create', () => {
    const { obj, errors } = create(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.10', ports: [{ port: 53 }] } });
    assert.deepEqual(errors, []);
    assert.deepEqual((obj.spec as Record<string, unknown>).clusterIPs, ['10.43.0.10']);
  });

  test('clusterIP may not change once set; omitted on update it is kept', () => {
    const old = create(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.10', ports: [{ port: 53 }] } }).obj;
    // What a merge patch of spec.clusterIP produces: the old clusterIPs ride along.
    const changed = update(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.11', clusterIPs: ['10.43.0.10'], ports: [{ port: 53 }] } }, old);
    // Upstream validates the internal type: field.Error prints the slice with Go's %#v.
    assert.deepEqual(changed.errors, ['spec.clusterIPs[0]: Invalid value: []string{"10.43.0.11"}: may not change once set']);
    const omitted = update(serviceStrategy, { metadata: meta, spec: { ports: [{ port: 54 }] } }, old);
    assert.deepEqual(omitted.errors, []);
    assert.equal((omitted.obj.spec as Record<string, unknown>).clusterIP, '10.43.0.10');
  });

  test('clusterIPs and ipFamilies in update errors print as Go slices', () => {
    const old = create(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 53 }] } }).obj;
    const fam = update(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 53 }] } }, old);
    assert.ok(fam.errors.includes('spec.ipFamilies[0]: Invalid value: []core.IPFamily{"IPv6"}: may not change once set'), fam.errors.join('\n'));
    const two = update(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.12', clusterIPs: ['10.43.0.12', 'fd00::1'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 53 }] } }, old);
    assert.ok(two.errors.includes('spec.clusterIPs[0]: Invalid value: []string{"10.43.0.12", "fd00::1"}: may not change once set'), two.errors.join('\n'));
  });

  test('clusterIPs in create errors print as Go slices', () => {
    const { errors } = create(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.11'], ports: [{ port: 53 }] } });
    assert.deepEqual(errors, ['spec.clusterIPs: Invalid value: []string{"10.43.0.11"}: first value must match `clusterIP`']);
  });

  test('invalid clusterIP and bad selector label', () => {
    const { errors } = create(serviceStrategy, { metadata: meta, spec: { clusterIP: '10.43.0.300', selector: { app: 'a b' }, ports: [{ port: 80 }] } });
    assert.equal(errors[0].startsWith('spec.selector[app]: Invalid value: "a b": a valid label must be'), true);
    assert.equal(errors[1], 'spec.clusterIPs[0]: Invalid value: "10.43.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  });

  test('names are DNS-1035 labels', () => {
    assert.deepEqual(serviceStrategy.nameValidator?.('1web').length, 1);
  });
});
