/**
 * Scenario 4 of examples/ (resource limits), run as its README tells a user to: `kubectl apply -k
 * examples/04-resource-limits` on a `sandbox`-runtime node; the runaway training pod is OOMKilled
 * (exit 137) while the model server on the same node answers every request; the LimitRange
 * defaults a pod without resources; a pod over the quota and one over the LimitRange maximum are
 * refused with upstream's messages.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxUnavailable } from '../../../src/agent/runtime/sandbox/probe.js';
import { e2eSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, examplesDir, httpRequest, kjson, requestStream } from './support.js';
import { join } from 'node:path';

const skip = e2eSkip() || ((await sandboxUnavailable()) ?? false);
const ns = ['-n', 'ml-team'];

describe('examples/04-resource-limits', { skip, timeout: 240_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'sandbox', network: 'host', cleanUp: (s) => kubectl(s, ['delete', 'namespace', 'ml-team', '--wait=true', '--timeout=60s']) });
  let url = '';

  /** The runaway trainer's terminated state, once its pod has one. */
  const trainerTerminated = () =>
    eventually(
      'the trainer terminated',
      () => {
        const pods = kjson(server, [...ns, 'get', 'pods', '-l', 'job-name=runaway-training']).items as any[];
        return pods.find((p) => !p.metadata.deletionTimestamp)?.status?.containerStatuses?.[0]?.state?.terminated;
      },
      60_000,
    );

  test('the runaway training pod is OOMKilled; its Job fails', async () => {
    const out = applyExample(server, '04-resource-limits');
    assert.match(out, /resourcequota\/ml-team-quota created/);
    assert.match(out, /limitrange\/ml-team-limits created/);
    const status = await trainerTerminated();
    assert.equal(status.reason, 'OOMKilled');
    assert.equal(status.exitCode, 137);
    assert.match(kc(server, [...ns, 'get', 'pods', '-l', 'job-name=runaway-training']), /runaway-training-\S+\s+0\/1\s+OOMKilled\s+0/);
    await eventually('the Job failed', () => (kjson(server, [...ns, 'get', 'job', 'runaway-training']).status?.conditions ?? []).find((c: any) => c.type === 'Failed' && c.status === 'True'));
    const events = kc(server, [...ns, 'get', 'events', '--field-selector', 'involvedObject.name=runaway-training']);
    assert.match(events, /BackoffLimitExceeded\s+job\/runaway-training\s+Job has reached the specified backoff limit/);
  });

  test('the model server on the same node serves every request while a trainer is OOMKilled', async () => {
    kc(server, [...ns, 'rollout', 'status', 'deployment/ml-model', '--timeout=90s']);
    const ip = kjson(server, [...ns, 'get', 'svc', 'ml-model']).spec.clusterIP as string;
    url = `http://${ip}/predict`;
    await eventually('an answer through the ClusterIP', async () => ((await httpRequest(url, { body: '{"features":[1,0.5,2,0.1]}' }).catch(() => undefined))?.status === 200 ? true : undefined));
    const stream = requestStream(url);
    await eventually('traffic flowing', () => (stream.result.ok > 10 ? true : undefined));
    // Run the runaway job again under the request stream.
    kc(server, [...ns, 'delete', 'job', 'runaway-training', '--wait=true']);
    applyExample(server, '04-resource-limits');
    assert.equal((await trainerTerminated()).reason, 'OOMKilled');
    const seen = stream.result.ok;
    await eventually('more traffic', () => (stream.result.ok > seen + 10 ? true : undefined));
    const res = await stream.stop();
    assert.equal(res.failed, 0, `failed requests: ${res.errors.join('; ')}`);
    const model = kjson(server, [...ns, 'get', 'pods', '-l', 'app=ml-model']).items[0];
    assert.equal(model.status.containerStatuses[0].restartCount, 0);
    assert.equal(model.spec.nodeName, kjson(server, [...ns, 'get', 'pods', '-l', 'job-name=runaway-training']).items[0].spec.nodeName);
  });

  test('a pod without resources gets the LimitRange defaults', async () => {
    kc(server, ['apply', '-f', join(examplesDir, '04-resource-limits', 'pod-without-resources.yaml')]);
    const pod = kjson(server, [...ns, 'get', 'pod', 'notebook']);
    assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.equal(pod.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container notebook; cpu, memory limit for container notebook');
  });

  test('the quota counts the running pods; a pod over it is refused (the common mistake)', async () => {
    // model server 64Mi + notebook 128Mi; the OOMKilled trainer no longer counts.
    await eventually('the quota recounted', () => {
      const used = kjson(server, [...ns, 'get', 'resourcequota', 'ml-team-quota']).status?.used ?? {};
      return used['requests.memory'] === '192Mi' && used.pods === '2' ? true : undefined;
    });
    const r = kubectl(server, ['apply', '-f', join(examplesDir, '04-resource-limits', 'big-training.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /Error from server \(Forbidden\): error when creating ".*big-training\.yaml": pods "big-training" is forbidden: exceeded quota: ml-team-quota, requested: requests\.memory=1Gi, used: requests\.memory=192Mi, limited: requests\.memory=1Gi/,
    );
  });

  test('a container over the LimitRange maximum is refused', () => {
    const r = kubectl(server, ['apply', '-f', join(examplesDir, '04-resource-limits', 'over-max.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "huge-training" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi/);
  });
});
