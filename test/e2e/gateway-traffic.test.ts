/**
 * Gateway API traffic through the built-in proxy with real pods (process runtime): an HTTPRoute
 * splits requests 80/20 between two model versions, a header sends testers to v2, a mirror filter
 * copies requests to a shadow model, and shifting the weights to 0/100 completes the rollout.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { e2eSkip, kc } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';

const skip = e2eSkip();


function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'models.example.com', ...headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// A model server: answers with its version and counts what it served.
const model = `let n=0;require('http').createServer((q,s)=>{if(q.url==='/count'){s.end(String(n));return}if(q.url!=='/ready')n++;s.end(process.env.VERSION)}).listen(Number(process.env.PORT))`;

describe('Gateway API traffic', { skip, timeout: 240_000 }, () => {
  const server = suiteServer({ agent: true, deleteAll: ['pods'] });
  let gwPort: number;
  const ports: Record<string, number> = {};

  before(async () => {
    gwPort = await freePort();
    let manifests = '';
    for (const v of ['v1', 'v2', 'shadow']) {
      ports[v] = await freePort();
      manifests += `apiVersion: v1
kind: Pod
metadata: {name: model-${v}, labels: {app: model-${v}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: server
    image: none
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(model)}]
    env: [{name: VERSION, value: ${v}}, {name: PORT, value: "${ports[v]}"}]
    ports: [{containerPort: ${ports[v]}}]
    readinessProbe: {httpGet: {path: /ready, port: ${ports[v]}}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: model-${v}}
spec:
  selector: {app: model-${v}}
  ports: [{port: 80, targetPort: ${ports[v]}}]
---
`;
    }
    manifests += `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: models}
spec:
  gatewayClassName: capstan
  listeners: [{name: http, protocol: HTTP, port: ${gwPort}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: models}
spec:
  parentRefs: [{name: models}]
  hostnames: [models.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /predict}, headers: [{name: x-model-version, value: v2}]}]
    backendRefs: [{name: model-v2, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /predict}}]
    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: model-shadow, port: 80}}}]
    backendRefs: [{name: model-v1, port: 80, weight: 80}, {name: model-v2, port: 80, weight: 20}]
`;
    kc(server, ['apply', '-f', '-'], { input: manifests });
    kc(server, ['wait', '--for=condition=Ready', 'pod', '--all', '--timeout=90s']);
  });

  test('the Gateway and route are accepted and programmed', async () => {
    await eventually('Programmed', () => (kc(server, ['get', 'gateway', 'models', '-o', 'jsonpath={.status.conditions[?(@.type=="Programmed")].status}']) === 'True' ? true : undefined));
    const route = kc(server, ['get', 'httproute', 'models', '-o', 'jsonpath={.status.parents[0].conditions[*].type}={.status.parents[0].conditions[*].status}']);
    assert.equal(route, 'Accepted ResolvedRefs=True True');
    await eventually('the gateway answering', async () => ((await get(gwPort, '/predict').catch(() => ({ status: 0 }))).status === 200 ? true : undefined));
  });

  test('80/20 weights send between 75 % and 85 % of 2,000 requests to v1, and every request is mirrored', async () => {
    const counts: Record<string, number> = {};
    const shadowBefore = Number((await get(ports.shadow, '/count')).body);
    for (let i = 0; i < 2000; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => get(gwPort, '/predict')));
      for (const r of batch) {
        assert.equal(r.status, 200);
        counts[r.body] = (counts[r.body] ?? 0) + 1;
      }
    }
    const v1 = (counts.v1 ?? 0) / 2000;
    assert.ok(v1 >= 0.75 && v1 <= 0.85, `v1 got ${(v1 * 100).toFixed(1)} %: ${JSON.stringify(counts)}`);
    assert.equal((counts.v1 ?? 0) + (counts.v2 ?? 0), 2000);
    // Mirrored requests are fire-and-forget: they arrive shortly after.
    const shadow = await eventually('the shadow to see the mirrored requests', async () => {
      const n = Number((await get(ports.shadow, '/count')).body) - shadowBefore;
      return n >= 2000 ? n : undefined;
    });
    assert.equal(shadow, 2000);
  });

  test('a header match sends every marked request to v2', async () => {
    const bodies = await Promise.all(Array.from({ length: 50 }, () => get(gwPort, '/predict', { 'x-model-version': 'v2' })));
    assert.deepEqual([...new Set(bodies.map((b) => b.body))], ['v2']);
  });

  test('shifting the weights to 0/100 completes the rollout', async () => {
    kc(server, ['patch', 'httproute', 'models', '--type=json', '-p', '[{"op":"replace","path":"/spec/rules/1/backendRefs/0/weight","value":0},{"op":"replace","path":"/spec/rules/1/backendRefs/1/weight","value":100}]']);
    await eventually('all traffic on v2', async () => {
      const bodies = await Promise.all(Array.from({ length: 20 }, () => get(gwPort, '/predict')));
      return bodies.every((b) => b.body === 'v2') ? true : undefined;
    });
  });
});
