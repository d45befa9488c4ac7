/**
 * Scenario 8 of examples/ (A/B testing and canary), run as its README tells a user to:
 * `kubectl apply -k examples/08-ab-testing`, requests through the Gateway's listener on port 8000,
 * a 90/10 split, the testers' header, the mirror to the shadow model (its /metrics counter read
 * through the API server's service proxy), the common mistake (a backendRef to a missing
 * Service), and the 0/100 patch that completes the rollout. Bridge networking where the machine
 * has it (no port of the pods can clash with another test's); host networking otherwise, which
 * the example supports because each track listens on its own port.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bridgeSkip, e2eSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, examplesDir, httpRequest } from './support.js';

const network = bridgeSkip() ? 'host' : 'bridge';
const gateway = 'http://127.0.0.1:8000';
const predict = `${gateway}/predict?features=1,0.5,2,0.1`;

/** Whether 127.0.0.1:`port` can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Why the example's ports cannot be had on this machine now, or false. */
async function portsInUse(): Promise<string | false> {
  let busy: string | false = false;
  for (const p of network === 'host' ? [8000, 8081, 8082, 8083] : [8000]) if (!(await portFree(p))) busy = `port ${p} is in use on this machine`;
  return busy;
}

/** The version each answer names (or `status N` for a failed one). */
async function versions(n: number, headers: Record<string, string> = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => httpRequest(predict, { headers })));
    for (const r of batch) out.push(r.status === 200 ? (JSON.parse(r.body) as { version: string }).version : `status ${r.status}`);
  }
  return out;
}

const count = (xs: string[]): Record<string, number> => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

describe('examples/08-ab-testing', { skip: e2eSkip(), timeout: 300_000 }, () => {
  const server = suiteServer({
    agent: true,
    runtime: 'process',
    network,
    unavailable: portsInUse,
    cleanUp: (s) => kubectl(s, ['delete', '-k', join(examplesDir, '08-ab-testing'), '--wait=true', '--timeout=60s']),
  });

  /** The shadow model's count of answered /predict requests, from its /metrics through the API server. */
  const shadowPredictions = (): number => {
    const text = kc(server, ['get', '--raw', '/api/v1/namespaces/default/services/ml-model-shadow:http/proxy/metrics']);
    const m = /^model_requests_total\{path="\/predict",code="200"\} (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  };

  test('the three tracks serve behind an accepted, programmed Gateway', async (t) => {
    if (server.skipped) return t.skip(server.skipped);
    applyExample(server, '08-ab-testing');
    kc(server, ['wait', '--for=condition=Available', 'deployment/ml-model-v1', 'deployment/ml-model-v2', 'deployment/ml-model-shadow', '--timeout=120s']);
    await eventually('the Gateway Programmed', () => (kc(server, ['get', 'gateway', 'ml-gateway', '-o', 'jsonpath={.status.conditions[?(@.type=="Programmed")].status}']) === 'True' ? true : undefined));
    const conditions = kc(server, ['get', 'httproute', 'ml-model', '-o', 'jsonpath={range .status.parents[0].conditions[*]}{.type}={.status} {end}']);
    assert.equal(conditions.trim(), 'Accepted=True ResolvedRefs=True');
    await eventually('an answer through the Gateway', async () => ((await httpRequest(predict).catch(() => undefined))?.status === 200 ? true : undefined));
  });

  test('90/10 weights: v1 answers 86-94 % of 1,000 requests, and the shadow sees every one', async (t) => {
    if (server.skipped) return t.skip(server.skipped);
    const shadowBefore = shadowPredictions();
    const got = count(await versions(1000));
    assert.equal((got.v1 ?? 0) + (got.v2 ?? 0), 1000, JSON.stringify(got));
    const share = (got.v1 ?? 0) / 1000;
    assert.ok(share >= 0.86 && share <= 0.94, `v1 answered ${(share * 100).toFixed(1)} %: ${JSON.stringify(got)}`);
    // Mirrored copies are sent alongside and their answers dropped: they arrive shortly after.
    const mirrored = await eventually('the mirrored requests at the shadow', () => {
      const n = shadowPredictions() - shadowBefore;
      return n >= 1000 ? n : undefined;
    });
    assert.equal(mirrored, 1000);
  });

  test('the header x-model-version: v2 sends every tester to v2', async (t) => {
    if (server.skipped) return t.skip(server.skipped);
    assert.deepEqual(count(await versions(100, { 'x-model-version': 'v2' })), { v2: 100 });
  });

  test('common mistake: a backendRef to a missing Service is BackendNotFound and answers 500', async (t) => {
    if (server.skipped) return t.skip(server.skipped);
    kc(server, ['apply', '-f', join(examplesDir, '08-ab-testing', 'mistakes', 'wrong-backend.yaml')]);
    const resolved = await eventually('ResolvedRefs=False', () => {
      const c = kc(server, ['get', 'httproute', 'ml-model', '-o', 'jsonpath={.status.parents[0].conditions[?(@.type=="ResolvedRefs")]}']);
      const parsed = c ? (JSON.parse(c) as { status: string; reason: string; message: string }) : undefined;
      return parsed?.status === 'False' ? parsed : undefined;
    });
    assert.equal(resolved.reason, 'BackendNotFound');
    assert.equal(resolved.message, 'Service default/ml-model-v2-canary not found');
    await eventually('testers answered 500', async () => ((await httpRequest(predict, { headers: { 'x-model-version': 'v2' } })).status === 500 ? true : undefined));
    // The rest of the route still serves.
    assert.equal((await httpRequest(predict)).status, 200);
    // Applying the example again repairs the route.
    applyExample(server, '08-ab-testing');
    await eventually('testers on v2 again', async () => {
      const r = await httpRequest(predict, { headers: { 'x-model-version': 'v2' } });
      return r.status === 200 && (JSON.parse(r.body) as { version: string }).version === 'v2' ? true : undefined;
    });
  });

  test('patching the weights to 0/100 completes the rollout', async (t) => {
    if (server.skipped) return t.skip(server.skipped);
    kc(server, ['patch', 'httproute', 'ml-model', '--type=json', '-p', '[{"op":"replace","path":"/spec/rules/1/backendRefs/0/weight","value":0},{"op":"replace","path":"/spec/rules/1/backendRefs/1/weight","value":100}]']);
    await eventually('all traffic on v2', async () => {
      const got = count(await versions(20));
      return got.v2 === 20 ? true : undefined;
    });
    assert.deepEqual(count(await versions(200)), { v2: 200 });
  });
});
