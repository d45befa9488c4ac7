import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { selectableFields, isSelectableField, convertFieldLabel, convertFieldSelector } from './selectable-fields.js';
import { mustParseFieldSelector } from './fields.js';

describe('accepted field labels', () => {
  test('pods', () => {
    for (const f of [
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
      'spec.host',
    ])
      assert.equal(isSelectableField('', 'pods', f), true, f);
    assert.deepEqual(convertFieldLabel('', 'pods', 'spec.host'), { ok: true, label: 'spec.nodeName' });
    assert.deepEqual(convertFieldLabel('', 'pods', 'spec.containers'), { ok: false, error: 'field label not supported: spec.containers' });
    assert.equal(isSelectableField('', 'pods', 'metadata.uid'), false);
  });
  test('kinds with their own tables', () => {
    assert.equal(isSelectableField('', 'nodes', 'spec.unschedulable'), true);
    assert.equal(isSelectableField('', 'nodes', 'metadata.namespace'), false);
    assert.equal(isSelectableField('', 'namespaces', 'status.phase'), true);
    assert.equal(isSelectableField('', 'namespaces', 'metadata.namespace'), false);
    assert.equal(isSelectableField('', 'secrets', 'type'), true);
    assert.equal(isSelectableField('', 'services', 'spec.clusterIP'), true);
    assert.equal(isSelectableField('', 'services', 'spec.type'), true);
    assert.equal(isSelectableField('', 'replicationcontrollers', 'status.replicas'), true);
    assert.equal(isSelectableField('', 'events', 'involvedObject.uid'), true);
    assert.equal(isSelectableField('', 'events', 'reportingComponent'), true);
    assert.equal(isSelectableField('batch', 'jobs', 'status.successful'), true);
    assert.deepEqual(convertFieldLabel('batch', 'jobs', 'spec.x'), { ok: false, error: 'field label "spec.x" not supported for batchv1.Job' });
    assert.equal(isSelectableField('certificates.k8s.io', 'certificatesigningrequests', 'spec.signerName'), true);
  });
  test('every other kind takes only metadata.name and metadata.namespace', () => {
    assert.equal(isSelectableField('', 'configmaps', 'metadata.name'), true);
    assert.equal(isSelectableField('apps', 'deployments', 'metadata.namespace'), true);
    assert.deepEqual(convertFieldLabel('apps', 'deployments', 'spec.replicas'), {
      ok: false,
      error: '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    });
  });
  test('convertFieldSelector checks every term and renames legacy labels', () => {
    const ok = convertFieldSelector('', 'pods', mustParseFieldSelector('spec.host=n1,status.phase!=Failed'));
    assert.ok(ok.ok);
    assert.equal(ok.selector.toString(), 'spec.nodeName=n1,status.phase!=Failed');
    assert.deepEqual(convertFieldSelector('', 'configmaps', mustParseFieldSelector('metadata.name=a,data.x=y')), {
      ok: false,
      error: '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
    });
  });
});

describe('selectableFields values', () => {
  test('pods', () => {
    const pod = {
      metadata: { name: 'web', namespace: 'default' },
      spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', hostNetwork: true },
      status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], nominatedNodeName: '' },
    };
    assert.deepEqual(selectableFields('', 'pods', pod), {
      'metadata.name': 'web',
      'metadata.namespace': 'default',
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'true',
      'status.phase': 'Running',
      'status.podIP': '10.0.0.1',
      'status.nominatedNodeName': '',
    });
    const bare = selectableFields('', 'pods', { metadata: { name: 'p', namespace: 'ns' } });
    assert.equal(bare['spec.hostNetwork'], 'false');
    assert.equal(bare['spec.nodeName'], '');
    // selecting unscheduled pods, and status.podIPs reading as ""
    assert.equal(mustParseFieldSelector('spec.nodeName=').matches(bare), true);
    assert.equal(mustParseFieldSelector('status.podIPs=10.0.0.1').matches(selectableFields('', 'pods', pod)), false);
  });
  test('other kinds', () => {
    assert.deepEqual(selectableFields('', 'nodes', { metadata: { name: 'n1' }, spec: { unschedulable: true } }), {
      'metadata.name': 'n1',
      'spec.unschedulable': 'true',
    });
    assert.deepEqual(selectableFields('', 'nodes', { metadata: { name: 'n1' } })['spec.unschedulable'], 'false');
    assert.equal(selectableFields('', 'replicationcontrollers', { metadata: { name: 'r' }, status: { replicas: 3 } })['status.replicas'], '3');
    assert.equal(selectableFields('', 'replicationcontrollers', { metadata: { name: 'r' } })['status.replicas'], '0');
    assert.equal(selectableFields('batch', 'jobs', { metadata: { name: 'j' }, status: { succeeded: 2 } })['status.successful'], '2');
    assert.equal(selectableFields('', 'secrets', { metadata: { name: 's' }, type: 'Opaque' }).type, 'Opaque');
    assert.deepEqual(selectableFields('', 'services', { metadata: { name: 's', namespace: 'd' }, spec: { clusterIP: '10.43.0.1', type: 'ClusterIP' } }), {
      'metadata.name': 's',
      'metadata.namespace': 'd',
      'spec.clusterIP': '10.43.0.1',
      'spec.type': 'ClusterIP',
    });
    assert.deepEqual(selectableFields('', 'namespaces', { metadata: { name: 'ns' }, status: { phase: 'Active' } }), {
      'metadata.name': 'ns',
      'status.phase': 'Active',
    });
    assert.deepEqual(selectableFields('', 'configmaps', { metadata: { name: 'c', namespace: 'd' } }), { 'metadata.name': 'c', 'metadata.namespace': 'd' });
  });
  test('events: source falls back to reportingComponent', () => {
    const ev = {
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1', apiVersion: 'v1', resourceVersion: '5', fieldPath: 'spec.containers{c}' },
      reason: 'Scheduled',
      type: 'Normal',
      reportingComponent: 'default-scheduler',
      source: {},
    };
    const f = selectableFields('', 'events', ev);
    assert.equal(f['involvedObject.kind'], 'Pod');
    assert.equal(f['involvedObject.name'], 'web');
    assert.equal(f['involvedObject.uid'], 'u1');
    assert.equal(f['involvedObject.fieldPath'], 'spec.containers{c}');
    assert.equal(f.source, 'default-scheduler');
    assert.equal(f.reportingComponent, 'default-scheduler');
    assert.equal(selectableFields('', 'events', { ...ev, source: { component: 'kubelet' } }).source, 'kubelet');
    assert.equal(mustParseFieldSelector('involvedObject.name=web,involvedObject.kind=Pod').matches(f), true);
  });
});
