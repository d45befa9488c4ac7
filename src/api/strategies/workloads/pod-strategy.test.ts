import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import { computeQOSClass, podUpdateForbiddenMessage, pullPolicyFor } from './pod-spec.js';
import { podStrategy } from './pod-strategy.js';

const pod = (spec: Record<string, unknown>): ApiObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec });
const created = (spec: Record<string, unknown>): ApiObject => {
  const p = pod(spec);
  podStrategy.default!(p);
  podStrategy.prepareForCreate!(p);
  return p;
};
const messages = (p: ApiObject): string[] => podStrategy.validate(p).map(errorMessage);
const c = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'busybox', ...extra });

describe('Pod defaults', () => {
  test('spec, container, probe and volume defaults', () => {
    const p = created({
      containers: [
        c({
          ports: [{ containerPort: 80 }],
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          resources: { limits: { cpu: '0.5', memory: '128Mi' } },
          readinessProbe: { httpGet: { port: 80 } },
        }),
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'scratch' }],
    });
    const spec = p.spec as any;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.enableServiceLinks, true);
    assert.deepEqual(spec.securityContext, {});
    const ctr = spec.containers[0];
    assert.equal(ctr.imagePullPolicy, 'Always');
    assert.equal(ctr.terminationMessagePath, '/dev/termination-log');
    assert.equal(ctr.terminationMessagePolicy, 'File');
    assert.deepEqual(ctr.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.equal(ctr.env[0].valueFrom.fieldRef.apiVersion, 'v1');
    assert.deepEqual(ctr.resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } });
    assert.deepEqual(ctr.readinessProbe, {
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(spec.volumes, [{ name: 'cfg', configMap: { name: 'c', defaultMode: 420 } }, { name: 'scratch', emptyDir: {} }]);
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'Guaranteed' });
    assert.deepEqual(messages(p), []);
  });

  test('image pull policy follows the tag', () => {
    assert.equal(pullPolicyFor('nginx'), 'Always');
    assert.equal(pullPolicyFor('nginx:latest'), 'Always');
    assert.equal(pullPolicyFor('nginx:1.27'), 'IfNotPresent');
    assert.equal(pullPolicyFor('localhost:5000/nginx'), 'Always');
    assert.equal(pullPolicyFor('nginx@sha256:abc'), 'IfNotPresent');
  });

  test('QoS classes', () => {
    assert.equal(computeQOSClass({ containers: [{ name: 'a' }] }), 'BestEffort');
    assert.equal(computeQOSClass({ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] }), 'Burstable');
    assert.equal(computeQOSClass({ containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1Gi' } } }] }), 'Guaranteed');
    assert.equal(computeQOSClass({ containers: [{ name: 'a', resources: { requests: { cpu: '0' } } }] }), 'BestEffort');
  });

  test('scheduling gates give the SchedulingGated condition', () => {
    const p = created({ containers: [c()], schedulingGates: [{ name: 'example.com/gate' }] });
    assert.equal((p.status as any).conditions[0].reason, 'SchedulingGated');
  });
});

describe('Pod validation', () => {
  test('containers are required', () => {
    assert.deepEqual(messages(created({})), ['spec.containers: Required value']);
  });

  test('container names, images, ports', () => {
    const p = created({
      containers: [c({ name: 'Bad_Name', image: '', ports: [{ containerPort: 70000, name: 'http' }, { containerPort: 81, name: 'http', protocol: 'ICMP' }] }), c({ name: 'app2' }), c({ name: 'app2' })],
    });
    const msgs = messages(p);
    // The DNS-label wording itself belongs to the shared name checks.
    assert.ok(msgs[0]!.startsWith('spec.containers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of'));
    assert.deepEqual(msgs.slice(1), [
      'spec.containers[0].image: Required value',
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].name: Duplicate value: "http"',
      'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[2].name: Duplicate value: "app2"',
    ]);
  });

  test('volumes and mounts', () => {
    const p = created({
      containers: [c({ volumeMounts: [{ name: 'missing', mountPath: '/a' }, { name: 'data', mountPath: '/a' }] })],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', hostPath: { path: '/x' }, emptyDir: {} }],
    });
    assert.deepEqual(messages(p), [
      'spec.volumes[1].emptyDir: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[1].name: Duplicate value: "data"',
      'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/a": must be unique',
    ]);
  });

  test('enums, tolerations and deadlines', () => {
    const p = created({
      containers: [c()],
      restartPolicy: 'Sometimes',
      dnsPolicy: 'Weird',
      activeDeadlineSeconds: 0,
      tolerations: [{ key: 'k', operator: 'Maybe' }, { operator: 'Equal', value: 'v' }, { key: 'k', operator: 'Exists', effect: 'Sometimes' }],
      hostname: 'Not_A_Label',
    });
    const msgs = messages(p);
    assert.deepEqual(msgs.slice(0, 2), [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Weird": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]);
    assert.ok(msgs.includes('spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'));
    assert.ok(msgs.includes('spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"'));
    assert.ok(msgs.includes('spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    assert.ok(msgs.includes('spec.tolerations[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'));
    assert.ok(msgs.some((m) => m.startsWith('spec.hostname: Invalid value: "Not_A_Label"')));
  });

  test('resources: bad quantities, negative values, non-standard names', () => {
    const p = created({ containers: [c({ resources: { requests: { cpu: '-1', memory: 'lots', gpu: '1' } } })] });
    assert.deepEqual(messages(p), [
      'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0',
      "spec.containers[0].resources.requests[memory]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]);
  });

  test('probes', () => {
    const p = created({ containers: [c({ livenessProbe: { successThreshold: 2, exec: { command: [] } } })] });
    assert.deepEqual(messages(p), [
      'spec.containers[0].livenessProbe.exec.command: Required value',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    ]);
  });
});

describe('Pod update', () => {
  const base = () => created({ containers: [c({ image: 'busybox:1' })], tolerations: [{ key: 'a', operator: 'Exists' }] });

  test('image, activeDeadlineSeconds and added tolerations may change', () => {
    const old = base();
    const next = structuredClone(old);
    (next.spec as any).containers[0].image = 'busybox:2';
    (next.spec as any).activeDeadlineSeconds = 100;
    (next.spec as any).tolerations.push({ key: 'b', operator: 'Exists' });
    assert.deepEqual(podStrategy.validateUpdate!(next, old), []);
  });

  test('other spec changes are forbidden with upstream wording', () => {
    const old = base();
    const next = structuredClone(old);
    (next.spec as any).containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
    const errs = podStrategy.validateUpdate!(next, old);
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.field, 'spec');
    assert.equal(errs[0]!.type, 'FieldValueForbidden');
    assert.ok(errs[0]!.detail!.startsWith(`${podUpdateForbiddenMessage}\n`));
    assert.ok(
      errorMessage(errs[0]!).startsWith(
        'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
      ),
    );
  });

  test('containers may not be added; tolerations may not be removed; deadline may not grow', () => {
    const old = base();
    (old.spec as any).activeDeadlineSeconds = 10;
    const added = structuredClone(old);
    (added.spec as any).containers.push(c({ name: 'b' }));
    assert.deepEqual(podStrategy.validateUpdate!(added, old).map(errorMessage), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
    const removed = structuredClone(old);
    (removed.spec as any).tolerations = [];
    assert.deepEqual(podStrategy.validateUpdate!(removed, old).map(errorMessage).slice(0, 1), [
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
    const longer = structuredClone(old);
    (longer.spec as any).activeDeadlineSeconds = 20;
    assert.deepEqual(podStrategy.validateUpdate!(longer, old).map(errorMessage), ['spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value']);
  });

  test('status: terminated containers of a Never pod stay terminated', () => {
    const old = created({ containers: [c()], restartPolicy: 'Never' });
    (old as any).status.containerStatuses = [{ name: 'app', state: { terminated: { exitCode: 1 } } }];
    const next = structuredClone(old);
    (next as any).status.containerStatuses = [{ name: 'app', state: { running: {} } }];
    assert.deepEqual(podStrategy.statusValidateUpdate!(next, old).map(errorMessage), [
      'status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state',
    ]);
  });
});
