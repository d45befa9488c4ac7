import { test, describe } from 'node:test';
import { loadSchema } from '../../api/schema/load-schema.js';
import { describeColumn } from './field-docs.js';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../api/object.js';
import { builtinResources } from '../../api/builtin-resources.js';
import { hasPrinter, tableConverterFor } from './registry.js';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (ms: number): string => new Date(now.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

function rows(group: string, resource: string, ...objs: object[]): unknown[][] {
  return tableConverterFor(group, resource)
    .rows(objs as ApiObject[], now)
    .map((r) => r.cells);
}
const names = (group: string, resource: string): string[] => tableConverterFor(group, resource).columns.map((c) => (c.priority ? `${c.name}*` : c.name));
const meta = (name: string, age: number, extra: object = {}) => ({ name, namespace: 'default', creationTimestamp: ago(age), ...extra });

describe('every built-in resource has a converter whose rows match its columns', () => {
  const samples: Record<string, object> = {};
  for (const r of builtinResources()) {
    test(`${r.group || 'core'}/${r.plural}`, () => {
      const c = tableConverterFor(r.group, r.plural);
      const [row] = c.rows([{ apiVersion: r.version, kind: r.kind, metadata: { name: 'x', creationTimestamp: ago(m) }, ...samples[r.kind] } as ApiObject], now);
      assert.equal(row!.cells.length, c.columns.length);
      assert.equal(row!.cells[c.columns.findIndex((col) => col.format === 'name')], 'x');
    });
  }
  test('column descriptions resolve to API field docs', async () => {
    const resolver = await loadSchema();
    for (const r of builtinResources()) {
      for (const c of tableConverterFor(r.group, r.plural).columns) {
        const text = describeColumn(c.description, resolver);
        assert.doesNotMatch(text, /^[a-z]+\.[A-Z]\w+\.\w+$/, `${r.plural} ${c.name}: ${c.description} is not in the schema`);
        assert.notEqual(text, '', `${r.plural} ${c.name}`);
      }
    }
  });
  test('kinds without a printer upstream use the default table', () => {
    for (const [g, r] of [
      ['', 'limitranges'],
      ['rbac.authorization.k8s.io', 'roles'],
      ['rbac.authorization.k8s.io', 'clusterroles'],
      ['example.com', 'widgets'],
    ] as const) {
      assert.equal(hasPrinter(g, r), false, `${g}/${r}`);
      assert.deepEqual(names(g, r), ['Name', 'Created At']);
    }
  });
});

describe('default table', () => {
  test('NAME and CREATED AT as an RFC 3339 date', () => {
    const c = tableConverterFor('', 'limitranges');
    assert.deepEqual(
      c.columns.map((x) => [x.name, x.type, x.format]),
      [
        ['Name', 'string', 'name'],
        ['Created At', 'date', ''],
      ],
    );
    assert.deepEqual(rows('', 'limitranges', { metadata: { name: 'limits', creationTimestamp: '2024-05-01T11:00:00Z' } }), [['limits', '2024-05-01T11:00:00Z']]);
  });
});

describe('deployments', () => {
  test('READY UP-TO-DATE AVAILABLE and wide CONTAINERS IMAGES SELECTOR', () => {
    assert.deepEqual(names('apps', 'deployments'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const dep = {
      metadata: meta('web', 45 * s),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] },
        template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }, { name: 'log', image: 'busybox' }] } },
      },
      status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
    };
    assert.deepEqual(rows('apps', 'deployments', dep), [['web', '2/3', 3, 2, '45s', 'nginx,log', 'nginx:1.25,busybox', 'app=web,tier in (be,fe)']]);
    const fresh = { metadata: meta('new', 3 * d), spec: { replicas: 1, template: { spec: { containers: [] } } } };
    assert.deepEqual(rows('apps', 'deployments', fresh), [['new', '0/1', 0, 0, '3d', '', '', '']]);
  });

  test('replicasets, statefulsets, daemonsets', () => {
    const tmpl = { spec: { containers: [{ name: 'c', image: 'i' }], nodeSelector: { 'kubernetes.io/os': 'linux' } } };
    assert.deepEqual(rows('apps', 'replicasets', { metadata: meta('web-1', 2 * h), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: tmpl }, status: { replicas: 2, readyReplicas: 1 } }), [
      ['web-1', 2, 2, 1, '120m', 'c', 'i', 'app=web'],
    ]);
    assert.deepEqual(rows('apps', 'statefulsets', { metadata: meta('db', 10 * h), spec: { replicas: 3, template: tmpl }, status: { readyReplicas: 3 } }), [['db', '3/3', '10h', 'c', 'i']]);
    assert.deepEqual(
      rows('apps', 'daemonsets', {
        metadata: meta('agent', 9 * d),
        spec: { selector: { matchLabels: { app: 'agent' } }, template: tmpl },
        status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
      }),
      [['agent', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '9d', 'c', 'i', 'app=agent']],
    );
  });
});

describe('services', () => {
  test('ClusterIP, NodePort, pending and provisioned LoadBalancer, ExternalName', () => {
    assert.deepEqual(names('', 'services'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
    const base = (name: string, spec: object, status: object = {}) => ({ metadata: meta(name, 25 * h), spec, status });
    const got = rows(
      '',
      'services',
      base('web', { type: 'ClusterIP', clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ port: 80, protocol: 'TCP' }, { port: 443 }], selector: { app: 'web', tier: 'fe' } }),
      base('np', { type: 'NodePort', clusterIPs: ['10.43.0.21'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], externalIPs: ['192.0.2.1'] }),
      base('lb', { type: 'LoadBalancer', clusterIPs: ['10.43.0.22'], ports: [{ port: 443, nodePort: 30443, protocol: 'TCP' }] }),
      base('lb2', { type: 'LoadBalancer', clusterIPs: ['10.43.0.23'], ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }] } }),
      base('ext', { type: 'ExternalName', externalName: 'db.example.com' }),
      base('headless', { clusterIP: 'None', clusterIPs: ['None'], ports: [] }),
    );
    assert.deepEqual(got, [
      ['web', 'ClusterIP', '10.43.0.20', '<none>', '80/TCP,443/TCP', '25h', 'app=web,tier=fe'],
      ['np', 'NodePort', '10.43.0.21', '192.0.2.1', '80:30080/TCP,53/UDP', '25h', '<none>'],
      ['lb', 'LoadBalancer', '10.43.0.22', '<pending>', '443:30443/TCP', '25h', '<none>'],
      ['lb2', 'LoadBalancer', '10.43.0.23', '203.0.113.9,lb.example.com', '80:31000/TCP', '25h', '<none>'],
      ['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '25h', '<none>'],
      ['headless', 'ClusterIP', 'None', '<none>', '<none>', '25h', '<none>'],
    ]);
  });

  test('endpoints and endpointslices', () => {
    const ep = {
      metadata: meta('web', m),
      subsets: [{ addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }, { ip: 'fd00::7' }], ports: [{ port: 8080 }, { port: 9090 }] }],
    };
    assert.deepEqual(rows('', 'endpoints', ep, { metadata: meta('none', m) }), [
      ['web', '10.42.0.5:8080,10.42.0.6:8080,[fd00::7]:8080 + 3 more...', '60s'],
      ['none', '<none>', '60s'],
    ]);
    const slice = { metadata: meta('web-abc', m), addressType: 'IPv4', ports: [{ port: 8080 }, { name: 'metrics' }], endpoints: [{ addresses: ['10.42.0.5'] }] };
    assert.deepEqual(rows('discovery.k8s.io', 'endpointslices', slice, { metadata: meta('empty', m), addressType: 'IPv4' }), [
      ['web-abc', 'IPv4', '8080,metrics', '10.42.0.5', '60s'],
      ['empty', 'IPv4', '<unset>', '<unset>', '60s'],
    ]);
  });
});

describe('nodes', () => {
  test('STATUS ROLES VERSION and wide addresses and system info', () => {
    assert.deepEqual(names('', 'nodes'), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']);
    const node = {
      metadata: { name: 'node-1', creationTimestamp: ago(3 * h + 5 * m), labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': 'true', 'kubernetes.io/role': 'worker' } },
      spec: { unschedulable: true },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [
          { type: 'Hostname', address: 'node-1' },
          { type: 'InternalIP', address: '192.168.1.10' },
        ],
        nodeInfo: { kubeletVersion: 'v1.32.0-capstan', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'capstan://0.1.0' },
      },
    };
    const notReady = { metadata: { name: 'node-2', creationTimestamp: ago(50 * s) }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
    const fresh = { metadata: { name: 'node-3', creationTimestamp: ago(50 * s) } };
    assert.deepEqual(rows('', 'nodes', node, notReady, fresh), [
      ['node-1', 'Ready,SchedulingDisabled', 'control-plane,master,worker', '3h5m', 'v1.32.0-capstan', '192.168.1.10', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'capstan://0.1.0'],
      ['node-2', 'NotReady', '<none>', '50s', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
      ['node-3', 'Unknown', '<none>', '50s', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ]);
  });
});

describe('jobs and cronjobs', () => {
  test('job STATUS COMPLETIONS DURATION', () => {
    assert.deepEqual(names('batch', 'jobs'), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const tmpl = { spec: { containers: [{ name: 'pi', image: 'perl' }] } };
    const sel = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } };
    const job = (name: string, spec: object, status: object, extra: object = {}) => ({ metadata: meta(name, 10 * m, extra), spec: { template: tmpl, selector: sel, ...spec }, status });
    assert.deepEqual(
      rows(
        'batch',
        'jobs',
        job('done', { completions: 1 }, { succeeded: 1, startTime: ago(10 * m), completionTime: ago(10 * m - 65 * s), conditions: [{ type: 'Complete', status: 'True' }] }),
        job('busy', { completions: 5, parallelism: 2 }, { succeeded: 2, active: 2, startTime: ago(3 * m) }),
        job('workq', { parallelism: 3 }, { succeeded: 0 }),
        job('bad', { completions: 1 }, { failed: 1, startTime: ago(5 * m), conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] }),
        job('paused', { completions: 1, suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] }),
        job('going', { completions: 1 }, { startTime: ago(20 * s) }, { deletionTimestamp: ago(1 * s) }),
      ),
      [
        ['done', 'Complete', '1/1', '65s', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u1'],
        ['busy', 'Running', '2/5', '3m', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u1'],
        ['workq', 'Running', '0/1 of 3', '', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u1'],
        ['bad', 'Failed', '0/1', '5m', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u1'],
        ['paused', 'Suspended', '0/1', '', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u1'],
        ['going', 'Terminating', '0/1', '20s', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u1'],
      ],
    );
  });

  test('cronjob SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE', () => {
    assert.deepEqual(names('batch', 'cronjobs'), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const jobTemplate = { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox' }] } } } };
    assert.deepEqual(
      rows(
        'batch',
        'cronjobs',
        { metadata: meta('hello', 10 * d), spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate }, status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(2 * m) } },
        { metadata: meta('nightly', 2 * h), spec: { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', suspend: true, jobTemplate }, status: {} },
      ),
      [
        ['hello', '*/5 * * * *', '<none>', 'False', 1, '2m', '10d', 'hello', 'busybox', '<none>'],
        ['nightly', '0 3 * * *', 'Europe/Berlin', 'True', 0, '<none>', '120m', 'hello', 'busybox', '<none>'],
      ],
    );
  });
});

describe('events', () => {
  test('core/v1 event, wide cells included', () => {
    assert.deepEqual(names('', 'events'), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
    const ev = {
      metadata: meta('web.17a', 5 * m),
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container\n',
      type: 'Warning',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(5 * m),
      lastTimestamp: ago(30 * s),
      count: 7,
    };
    assert.deepEqual(rows('', 'events', ev), [['30s', 'Warning', 'BackOff', 'pod/web', 'spec.containers{app}', 'kubelet, node-1', 'Back-off restarting failed container', '5m', 7, 'web.17a']]);
  });

  test('new-style events: eventTime, series, reporting controller, no object name', () => {
    const single = {
      metadata: meta('n.1', m),
      involvedObject: { kind: 'Node', name: 'node-1' },
      reason: 'Starting',
      message: 'Starting kubelet.',
      type: 'Normal',
      eventTime: `${ago(40 * s).slice(0, -1)}.123456Z`,
      reportingComponent: 'capstan-agent',
      reportingInstance: 'node-1',
    };
    const series = { ...single, metadata: meta('n.2', m), involvedObject: { kind: 'Cluster' }, series: { count: 4, lastObservedTime: `${ago(10 * s).slice(0, -1)}.000000Z` } };
    assert.deepEqual(rows('', 'events', single, series), [
      ['39s', 'Normal', 'Starting', 'node/node-1', '', 'capstan-agent, node-1', 'Starting kubelet.', '39s', 1, 'n.1'],
      ['10s', 'Normal', 'Starting', 'cluster', '', 'capstan-agent, node-1', 'Starting kubelet.', '39s', 4, 'n.2'],
    ]);
  });

  test('events.k8s.io/v1 shape', () => {
    const ev = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: meta('web.17b', m),
      regarding: { kind: 'Pod', name: 'web' },
      note: 'Successfully assigned default/web to node-1',
      reason: 'Scheduled',
      type: 'Normal',
      eventTime: `${ago(20 * s).slice(0, -1)}.000000Z`,
      reportingController: 'default-scheduler',
      reportingInstance: '',
    };
    assert.deepEqual(rows('events.k8s.io', 'events', ev), [['20s', 'Normal', 'Scheduled', 'pod/web', '', 'default-scheduler', 'Successfully assigned default/web to node-1', '20s', 1, 'web.17b']]);
  });
});

describe('other kinds', () => {
  test('configmaps, secrets, namespaces, serviceaccounts', () => {
    assert.deepEqual(rows('', 'configmaps', { metadata: meta('cfg', 2 * d), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), [['cfg', 3, '2d']]);
    assert.deepEqual(rows('', 'secrets', { metadata: meta('tls', 90 * s), type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }), [['tls', 'kubernetes.io/tls', 2, '90s']]);
    assert.deepEqual(rows('', 'namespaces', { metadata: meta('kube-system', 400 * d), status: { phase: 'Active' } }), [['kube-system', 'Active', '400d']]);
    assert.deepEqual(rows('', 'serviceaccounts', { metadata: meta('default', h) }), [['default', 0, '60m']]);
  });

  test('persistent volumes and claims', () => {
    const pv = {
      metadata: meta('pv-1', h),
      spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local', volumeMode: 'Filesystem' },
      status: { phase: 'Bound' },
    };
    assert.deepEqual(rows('', 'persistentvolumes', pv), [['pv-1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local', '<unset>', '', '60m', 'Filesystem']]);
    const pvc = { metadata: meta('data', h), spec: { volumeName: 'pv-1', storageClassName: 'local', resources: { requests: { storage: '5Gi' } } }, status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] } };
    const pending = { metadata: meta('wait', h, { deletionTimestamp: ago(s) }), spec: { resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } };
    assert.deepEqual(rows('', 'persistentvolumeclaims', pvc, pending), [
      ['data', 'Bound', 'pv-1', '10Gi', 'RWO', 'local', '<unset>', '60m', '<unset>'],
      ['wait', 'Terminating', '', '', '', '', '<unset>', '60m', '<unset>'],
    ]);
  });

  test('resource quotas split requests and limits', () => {
    const rq = { metadata: meta('q', m), status: { hard: { 'limits.cpu': '4', pods: '10', 'requests.memory': '1Gi' }, used: { 'limits.cpu': '500m', pods: '3' } } };
    assert.deepEqual(rows('', 'resourcequotas', rq), [['q', 'pods: 3/10, requests.memory: 0/1Gi', 'limits.cpu: 500m/4', '60s']]);
  });

  test('hpa, pdb, ingress, ingressclass, networkpolicy', () => {
    const hpa = {
      metadata: meta('web', m),
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
        ],
      },
      status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 35 } } }] },
    };
    const hpaV1 = { apiVersion: 'autoscaling/v1', metadata: meta('v1', m), spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 }, status: { currentReplicas: 1 } };
    assert.deepEqual(rows('autoscaling', 'horizontalpodautoscalers', hpa, hpaV1), [
      ['web', 'Deployment/web', 'cpu: 35%/80%, memory: <unknown>/500Mi + 1 more...', '1', 5, 2, '60s'],
      ['v1', 'Deployment/web', 'cpu: <unknown>/50%', '<unset>', 3, 1, '60s'],
    ]);
    assert.deepEqual(rows('policy', 'poddisruptionbudgets', { metadata: meta('pdb', m), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }), [['pdb', '50%', 'N/A', 1, '60s']]);
    const ing = {
      metadata: meta('web', m),
      spec: { ingressClassName: 'capstan', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }, {}, { host: 'd.example.com' }, { host: 'e.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    };
    assert.deepEqual(rows('networking.k8s.io', 'ingresses', ing, { metadata: meta('bare', m), spec: {} }), [
      ['web', 'capstan', 'a.example.com,b.example.com,d.example.com + 2 more...', '192.0.2.10', '80, 443', '60s'],
      ['bare', '<none>', '*', '', '80', '60s'],
    ]);
    assert.deepEqual(rows('networking.k8s.io', 'ingressclasses', { metadata: meta('capstan', m), spec: { controller: 'capstan.dev/ingress', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } }), [
      ['capstan', 'capstan.dev/ingress', 'IngressParameters.k8s.example.com/p', '60s'],
    ]);
    assert.deepEqual(rows('networking.k8s.io', 'networkpolicies', { metadata: meta('deny', m), spec: { podSelector: {} } }, { metadata: meta('db', m), spec: { podSelector: { matchExpressions: [{ key: 'role', operator: 'Exists' }, { key: 'app', operator: 'NotIn', values: ['x'] }] } } }), [
      ['deny', '<none>', '60s'],
      ['db', 'app notin (x),role', '60s'],
    ]);
  });

  test('lease, storageclass, priorityclass, bindings, controllerrevision, podtemplate, replicationcontroller', () => {
    assert.deepEqual(rows('coordination.k8s.io', 'leases', { metadata: meta('node-1', m), spec: { holderIdentity: 'node-1' } }), [['node-1', 'node-1', '60s']]);
    assert.deepEqual(rows('storage.k8s.io', 'storageclasses', { metadata: meta('local', m, { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'capstan.dev/local-path' }), [
      ['local (default)', 'capstan.dev/local-path', 'Delete', 'Immediate', false, '60s'],
    ]);
    assert.deepEqual(rows('scheduling.k8s.io', 'priorityclasses', { metadata: meta('system-node-critical', m), value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }), [
      ['system-node-critical', 2000001000, false, '60s', 'PreemptLowerPriority'],
    ]);
    const subjects = [
      { kind: 'User', name: 'alice' },
      { kind: 'User', name: 'bob' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
    ];
    assert.deepEqual(rows('rbac.authorization.k8s.io', 'rolebindings', { metadata: meta('rb', m), roleRef: { kind: 'Role', name: 'edit' }, subjects }), [['rb', 'Role/edit', '60s', 'alice, bob', 'devs', 'tools/ci']]);
    assert.deepEqual(rows('rbac.authorization.k8s.io', 'clusterrolebindings', { metadata: meta('crb', m), roleRef: { kind: 'ClusterRole', name: 'view' } }), [['crb', 'ClusterRole/view', '60s', '', '', '']]);
    const cr = { metadata: meta('agent-7d9', m, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true }] }), revision: 2 };
    assert.deepEqual(rows('apps', 'controllerrevisions', cr, { metadata: meta('orphan', m), revision: 1 }), [
      ['agent-7d9', 'daemonset.apps/agent', 2, '60s'],
      ['orphan', '<none>', 1, '60s'],
    ]);
    assert.deepEqual(rows('', 'podtemplates', { metadata: meta('t', m), template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'a', image: 'b' }] } } }), [['t', 'a', 'b', 'app=x']]);
    assert.deepEqual(rows('', 'replicationcontrollers', { metadata: meta('rc', m), spec: { replicas: 2, selector: { app: 'rc' }, template: { spec: { containers: [{ name: 'a', image: 'b' }] } } }, status: { replicas: 2, readyReplicas: 2 } }), [
      ['rc', 2, 2, 2, '60s', 'a', 'b', 'app=rc'],
    ]);
  });
});
