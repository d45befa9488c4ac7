import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import { deploymentStrategy } from './deployment-strategy.js';

const minimal = (): ApiObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
  },
});

const messages = (obj: ApiObject): string[] => deploymentStrategy.validate(obj).map(errorMessage);

describe('Deployment defaults', () => {
  test('a minimal Deployment gets every upstream default', () => {
    const d = minimal();
    deploymentStrategy.default!(d);
    deploymentStrategy.prepareForCreate!(d);
    assert.deepEqual(d.spec, {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        metadata: { labels: { app: 'web' }, creationTimestamp: null },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.27',
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              resources: {},
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
    });
    assert.deepEqual(d.status, {});
    assert.deepEqual(deploymentStrategy.validate(d), []);
  });

  test('Recreate gets no rollingUpdate; explicit values are kept', () => {
    const d = minimal();
    (d.spec as Record<string, unknown>).strategy = { type: 'Recreate' };
    (d.spec as Record<string, unknown>).replicas = 0;
    deploymentStrategy.default!(d);
    assert.deepEqual((d.spec as Record<string, unknown>).strategy, { type: 'Recreate' });
    assert.equal((d.spec as Record<string, unknown>).replicas, 0);
  });
});

describe('Deployment validation', () => {
  const defaulted = (mutate: (spec: any) => void): ApiObject => {
    const d = minimal();
    mutate(d.spec);
    deploymentStrategy.default!(d);
    return d;
  };

  test('a missing image is reported at the template path', () => {
    assert.deepEqual(messages(defaulted((s) => delete s.template.spec.containers[0].image)), ['spec.template.spec.containers[0].image: Required value']);
  });

  test('template labels must match the selector', () => {
    assert.deepEqual(messages(defaulted((s) => (s.template.metadata.labels = { app: 'other' }))), [
      'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
    ]);
  });

  test('selector is required and an absent one matches nothing', () => {
    assert.deepEqual(messages(defaulted((s) => delete s.selector)), [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
    assert.deepEqual(messages(defaulted((s) => (s.selector = {}))), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
  });

  test('restartPolicy must be Always', () => {
    assert.deepEqual(messages(defaulted((s) => (s.template.spec.restartPolicy = 'Never'))), [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  test('rolling update parameters', () => {
    assert.deepEqual(messages(defaulted((s) => (s.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }))), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ]);
    assert.deepEqual(messages(defaulted((s) => (s.strategy = { rollingUpdate: { maxUnavailable: '150%', maxSurge: 'x' } }))), [
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"x\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
    ]);
  });

  test('counts and deadlines', () => {
    assert.deepEqual(
      messages(
        defaulted((s) => {
          s.replicas = -1;
          s.minReadySeconds = 700;
        }),
      ),
      ['spec.replicas: Invalid value: -1: must be greater than or equal to 0', 'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds'],
    );
  });

  test('requests above limits', () => {
    const d = defaulted((s) => (s.template.spec.containers[0].resources = { requests: { cpu: '2' }, limits: { cpu: '1' } }));
    assert.deepEqual(messages(d), ['spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1']);
  });
});

describe('Deployment update and status', () => {
  test('the selector is immutable', () => {
    const old = minimal();
    deploymentStrategy.default!(old);
    const next = structuredClone(old);
    (next.spec as any).selector = { matchLabels: { app: 'web', tier: 'x' } };
    (next.spec as any).template.metadata.labels.tier = 'x';
    assert.deepEqual(deploymentStrategy.validateUpdate!(next, old).map(errorMessage), [
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable',
    ]);
  });

  test('status counters', () => {
    const old = minimal();
    const next = { ...minimal(), status: { replicas: -1, readyReplicas: 2, availableReplicas: 3, collisionCount: 1 } };
    (old as any).status = { collisionCount: 2 };
    assert.deepEqual(deploymentStrategy.statusValidateUpdate!(next, old).map(errorMessage), [
      'status.replicas: Invalid value: -1: must be greater than or equal to 0',
      'status.updatedReplicas: Invalid value: 0: cannot be greater than status.replicas',
      'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas',
      'status.collisionCount: Invalid value: 1: cannot be decremented',
    ]);
  });
});
