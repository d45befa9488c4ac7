/**
 * Scenario 3 of examples/ (zero-downtime model rollout), run as docs/mlops.md tells a user to:
 * `kubectl apply -k examples/03-model-rollout`, then `-k .../v2` under a steady request stream,
 * then `kubectl rollout undo`. Bridge networking, so the three replicas share port 8080 on one node.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, httpRequest, kjson, requestStream } from './support.js';

const skip = bridgeSkip();

describe('examples/03-model-rollout', { skip, timeout: 300_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'process', network: 'bridge', deleteAll: ['deployment'] });
  let url = '';

  test('model v1 serves behind the Service', async () => {
    applyExample(server, '03-model-rollout');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    const ip = kjson(server, ['get', 'svc', 'ml-model']).spec.clusterIP as string;
    url = `http://${ip}/predict`;
    const r = await eventually('an answer through the ClusterIP', async () => {
      const a = await httpRequest(url, { body: '{"features":[1,0.5,2,0.1]}' }).catch(() => undefined);
      return a?.status === 200 ? a : undefined;
    });
    assert.equal(JSON.parse(r.body).version, 'v1');
  });

  test('applying v2 under a request stream fails no request', async () => {
    const stream = requestStream(url);
    await eventually('traffic flowing', () => (stream.result.ok > 20 ? true : undefined));
    applyExample(server, '03-model-rollout/v2');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=180s']);
    // Requests keep flowing a moment after the last old pod went.
    const after = stream.result.ok;
    await eventually('more traffic', () => (stream.result.ok > after + 20 ? true : undefined));
    const res = await stream.stop();
    assert.equal(res.failed, 0, `failed requests: ${res.errors.join('; ')}`);
    assert.ok(res.versions.v1 > 0 && res.versions.v2 > 0, JSON.stringify(res.versions));
    const last = await httpRequest(url, { body: '{"features":[1,0.5,2,0.1]}' });
    assert.equal(JSON.parse(last.body).version, 'v2');
    assert.match(kc(server, ['rollout', 'history', 'deployment/ml-model']), /model v2/);
  });

  test('rollout undo returns to v1 with no failed request', async () => {
    const stream = requestStream(url);
    await eventually('traffic flowing', () => (stream.result.ok > 20 ? true : undefined));
    kc(server, ['rollout', 'undo', 'deployment/ml-model']);
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=180s']);
    const after = stream.result.ok;
    await eventually('more traffic', () => (stream.result.ok > after + 20 ? true : undefined));
    const res = await stream.stop();
    assert.equal(res.failed, 0, `failed requests: ${res.errors.join('; ')}`);
    const pods = kjson(server, ['get', 'pods', '-l', 'app=ml-model']).items as { metadata: { labels: Record<string, string>; deletionTimestamp?: string } }[];
    assert.deepEqual(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.labels['model-version']), ['v1', 'v1', 'v1']);
  });

  test('a broken v3 stalls with CreateContainerConfigError while v1 keeps serving; undo recovers', async () => {
    const stream = requestStream(url);
    await eventually('traffic flowing', () => (stream.result.ok > 20 ? true : undefined));
    applyExample(server, '03-model-rollout/broken');
    const waiting = await eventually('the new pod waiting', () => {
      const pods = kjson(server, ['get', 'pods', '-l', 'model-version=v3']).items as { status: { containerStatuses?: { state?: { waiting?: { reason: string; message?: string } } }[] } }[];
      const w = pods[0]?.status.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 60_000);
    assert.equal(waiting.message, 'configmap "model-v3" not found');
    const r = kubectl(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=3s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /1 out of 3 new replicas have been updated/);
    kc(server, ['rollout', 'undo', 'deployment/ml-model']);
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    const res = await stream.stop();
    assert.equal(res.failed, 0, `failed requests: ${res.errors.join('; ')}`);
    assert.deepEqual(Object.keys(res.versions), ['v1']);
  });
});
