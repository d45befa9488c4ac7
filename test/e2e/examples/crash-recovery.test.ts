/**
 * Scenario 1 of examples/ (container failure at 3 AM), run as its README tells a user to: one model
 * server replica; POST /admin/crash restarts it at once, POST /admin/hang is caught by the liveness
 * probe, `crashloop/` ends in CrashLoopBackOff with a growing back-off, and `mistake/` (a liveness
 * probe on a path the server lacks) shows the 404 that kills it. The example runs with host
 * networking too, but there the pod takes the machine's port 8080, which a test running beside
 * this one may hold: bridge networking gives the pod a port of its own.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Event, Pod } from 'kubernetes-types/core/v1.js';
import { bridgeSkip, kc } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, httpRequest, kjson } from './support.js';

const skip = bridgeSkip();

describe('examples/01-crash-recovery', { skip, timeout: 300_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'process', network: 'bridge', deleteAll: ['deployment'] });
  let base = '';

  /** The live (not terminating) pods of the Deployment. */
  const pods = (): Pod[] => (kjson(server, ['get', 'pods', '-l', 'app=ml-model']).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
  /** The one live pod that passes `which` and its container's status, once there is exactly one. */
  const status = (which: (pod: Pod) => boolean = () => true): { pod: Pod; c: ContainerStatus } | undefined => {
    const live = pods().filter(which);
    const c = live.length === 1 ? live[0]!.status?.containerStatuses?.[0] : undefined;
    return c ? { pod: live[0]!, c } : undefined;
  };
  const events = (pod: string): Event[] => kjson(server, ['get', 'events', '--field-selector', `involvedObject.name=${pod}`]).items as Event[];
  const poll = <T>(what: string, fn: () => T | undefined, timeoutMs = 60_000) => eventually(what, fn, timeoutMs, 1000);

  test('the model server runs and answers through the Service', async () => {
    applyExample(server, '01-crash-recovery');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    const ip = kjson(server, ['get', 'svc', 'ml-model']).spec.clusterIP as string;
    base = `http://${ip}`;
    const r = await eventually('an answer through the ClusterIP', async () => {
      const a = await httpRequest(`${base}/predict`, { body: '{"features":[1,0.5,2,0.1]}' }).catch(() => undefined);
      return a?.status === 200 ? a : undefined;
    });
    assert.equal(JSON.parse(r.body).version, 'v1');
  });

  test('a crash is restarted at once: RESTARTS 1, last state Error with exit code 1', async () => {
    assert.equal((await httpRequest(`${base}/admin/crash`, { method: 'POST' })).status, 202);
    const s = await poll('the restarted container ready', () => {
      const st = status();
      return st?.c.restartCount === 1 && st.c.ready ? st : undefined;
    });
    assert.equal(s.c.lastState?.terminated?.exitCode, 1);
    assert.equal(s.c.lastState?.terminated?.reason, 'Error');
    const row = kc(server, ['get', 'pods', '--no-headers', s.pod.metadata!.name!]).trim().split(/\s+/);
    assert.deepEqual(row.slice(1, 4), ['1/1', 'Running', '1']);
    // It serves again.
    await eventually('an answer after the restart', async () => ((await httpRequest(`${base}/predict`, { body: '{"features":[1,0.5,2,0.1]}' }).catch(() => undefined))?.status === 200 ? true : undefined));
  });

  test('a hung server fails its liveness probe and is restarted', async () => {
    const name = status()!.pod.metadata!.name!;
    assert.equal((await httpRequest(`${base}/admin/hang`, { method: 'POST' })).status, 202);
    const evs = await poll('the Killing event', () => {
      const list = events(name);
      return list.some((e) => e.reason === 'Killing' && e.message === 'Container model failed liveness probe, will be restarted') ? list : undefined;
    });
    const unhealthy = evs.filter((e) => e.reason === 'Unhealthy' && e.type === 'Warning').map((e) => e.message);
    assert.ok(
      unhealthy.some((m) => /^Liveness probe failed: Get "http:\/\/[\d.]+:8080\/healthz": context deadline exceeded \(Client\.Timeout exceeded while awaiting headers\)$/.test(m ?? '')),
      JSON.stringify(unhealthy),
    );
    const s = await poll('the container back after the liveness restart', () => {
      const st = status();
      return st && st.c.restartCount >= 2 && st.c.ready ? st : undefined;
    });
    assert.equal(s.pod.metadata!.name, name);
  });

  test('crashloop/: restarts back off 10 s, then 20 s, in CrashLoopBackOff with BackOff events', async () => {
    applyExample(server, '01-crash-recovery/crashloop');
    const fresh = (p: Pod) => !!p.spec?.containers[0]?.env?.some((e) => e.name === 'CRASH_AFTER_MS');
    const first = await poll('back-off 10s', () => {
      const st = status(fresh);
      const w = st?.c.state?.waiting;
      return w?.reason === 'CrashLoopBackOff' && w.message?.startsWith('back-off 10s ') ? st : undefined;
    });
    const name = first.pod.metadata!.name!;
    assert.equal(first.c.state!.waiting!.message, `back-off 10s restarting failed container=model pod=${name}_default(${first.pod.metadata!.uid})`);
    assert.equal(first.c.restartCount, 1);
    assert.equal(first.c.lastState?.terminated?.exitCode, 1);
    const second = await poll('back-off 20s', () => {
      const st = status(fresh);
      return st?.c.state?.waiting?.message?.startsWith('back-off 20s ') ? st : undefined;
    });
    assert.equal(second.c.restartCount, 2);
    assert.equal(second.c.state!.waiting!.reason, 'CrashLoopBackOff');
    const row = kc(server, ['get', 'pods', '--no-headers', name]).trim().split(/\s+/);
    assert.deepEqual(row.slice(1, 4), ['0/1', 'CrashLoopBackOff', '2']);
    const backoff = await poll('the BackOff event', () => events(name).find((e) => e.reason === 'BackOff'));
    assert.equal(backoff.type, 'Warning');
    assert.equal(backoff.message, `Back-off restarting failed container model in pod ${name}_default(${first.pod.metadata!.uid})`);
    assert.ok((backoff.count ?? 0) >= 2, `BackOff count ${backoff.count}`);
  });

  test('common mistake: a liveness probe on a path the server lacks (404) restarts a healthy server', async () => {
    applyExample(server, '01-crash-recovery/mistake');
    const bad = (p: Pod) => p.spec?.containers[0]?.livenessProbe?.httpGet?.path === '/health';
    const st = await poll('the probe-killed container restarted', () => {
      const s = status(bad);
      return s && s.c.restartCount >= 1 ? s : undefined;
    });
    const name = st.pod.metadata!.name!;
    const evs = await poll('the 404 and Killing events', () => {
      const list = events(name);
      return list.some((e) => e.message === 'Liveness probe failed: HTTP probe failed with statuscode: 404') && list.some((e) => e.message === 'Container model failed liveness probe, will be restarted') ? list : undefined;
    });
    assert.equal(evs.find((e) => e.message === 'Liveness probe failed: HTTP probe failed with statuscode: 404')!.reason, 'Unhealthy');
  });
});
