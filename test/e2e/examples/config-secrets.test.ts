/**
 * Scenario 10 of examples/ (configuration and secrets): hyper-parameters from a ConfigMap as
 * mounted files and as a variable, an API key from a Secret, a ConfigMap update reaching the
 * running pod's files without a restart (the variable keeps its start value, as upstream), and
 * the missing-Secret mistake. Sandbox runtime (volumes), host network.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxUnavailable } from '../../../src/agent/runtime/sandbox/probe.js';
import { e2eSkip, kc } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, applyFile, httpRequest, kjson } from './support.js';

const skip = e2eSkip() || ((await sandboxUnavailable()) ?? false);
const features = '{"features":[1,0.5,2,0.1]}'; // score 0.6921 with model v1

describe('examples/10-config-secrets', { skip, timeout: 240_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'sandbox', deleteAll: ['deployment', 'pod'] });
  let base = '';

  test('the server reads its hyper-parameters from the ConfigMap and demands the key from the Secret', async () => {
    applyExample(server, '10-config-secrets');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    base = `http://${kjson(server, ['get', 'svc', 'ml-model']).spec.clusterIP}`;
    const config = await eventually('the mounted config', async () => {
      const r = await httpRequest(`${base}/config`).catch(() => undefined);
      return r?.status === 200 ? JSON.parse(r.body) : undefined;
    });
    assert.deepEqual(config, { batch_size: '32', feature_set: 'v3', threshold: '0.7' });
    const denied = await httpRequest(`${base}/predict`, { body: features });
    assert.equal(denied.status, 401);
    assert.match(denied.body, /missing or wrong x-api-key/);
    const ok = await httpRequest(`${base}/predict`, { body: features, headers: { 'x-api-key': 'demo-key-1234' } });
    assert.equal(ok.status, 200);
    assert.deepEqual([JSON.parse(ok.body).score, JSON.parse(ok.body).label], [0.6921, 0]);
  });

  test('a ConfigMap update reaches the running pod without a restart; the variable keeps its start value', async () => {
    kc(server, ['patch', 'configmap', 'model-config', '-p', '{"data":{"threshold":"0.5"}}']);
    await eventually('the new threshold in use', async () => {
      const r = await httpRequest(`${base}/predict`, { body: features, headers: { 'x-api-key': 'demo-key-1234' } });
      return JSON.parse(r.body).label === 1 ? true : undefined;
    }, 60_000);
    assert.equal(JSON.parse((await httpRequest(`${base}/config`)).body).threshold, '0.5');
    const pod = kjson(server, ['get', 'pods', '-l', 'app=ml-model']).items[0];
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
    assert.equal(kc(server, ['exec', pod.metadata.name, '--', 'printenv', 'THRESHOLD']).trim(), '0.7');
    assert.equal(kc(server, ['exec', pod.metadata.name, '--', 'cat', '/etc/model-config/threshold']), '0.5');
  });

  test('common mistake: a missing Secret leaves the container in CreateContainerConfigError', async () => {
    applyFile(server, '10-config-secrets', 'mistake.yaml');
    const waiting = await eventually('the container waiting', () => {
      const w = kjson(server, ['get', 'pod', 'batch-scoring']).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 60_000);
    assert.equal(waiting.message, 'secret "model-api-keys" not found');
    const events = kc(server, ['get', 'events', '--field-selector', 'involvedObject.name=batch-scoring,type=Warning']);
    assert.match(events, /Failed\s+pod\/batch-scoring\s+Error: secret "model-api-keys" not found/);
  });
});
