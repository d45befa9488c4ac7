/**
 * Scenario 2 of examples/ (scaling for a traffic spike), run as its README tells a user to:
 * `kubectl scale` to 8 replicas with the Service spreading requests over all of them, the HPA of
 * hpa.yaml scaling out under load-generator.yaml and back in once it is gone, the common mistake
 * (no CPU request) with the HPA's exact message, and 50 replicas spread over 5 simulated nodes.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { bridgeSkip, capstanBin, e2eSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, applyFile, examplesDir, httpRequest, kjson, requestStream } from './support.js';

/** Polls with kubectl once a second (each call is a process). */
const poll = <T>(what: string, fn: () => T | undefined, timeoutMs = 60_000) => eventually(what, fn, timeoutMs, 1000);

describe('examples/02-scaling', { skip: bridgeSkip(), timeout: 600_000 }, () => {
  const server = suiteServer({
    agent: true,
    runtime: 'process',
    network: 'bridge',
    cleanUp: async (s) => {
      kubectl(s, ['delete', 'hpa', '--all']);
      kubectl(s, ['delete', 'deployment', '--all', '--wait=true', '--timeout=60s']);
      await poll('every pod gone', () => (kjson(s, ['get', 'pods']).items.length === 0 ? true : undefined)).catch(() => undefined);
    },
  });
  let url = '';

  const deploymentReplicas = (): number => kjson(server, ['get', 'deployment', 'ml-model']).spec.replicas as number;
  const hpaEvents = (): Event[] => kjson(server, ['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=ml-model']).items as Event[];

  test('kubectl scale --replicas=8: the Service spreads requests over all 8 pods', async () => {
    applyExample(server, '02-scaling');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    url = `http://${kjson(server, ['get', 'svc', 'ml-model']).spec.clusterIP as string}/predict`;
    await eventually('an answer through the ClusterIP', async () => ((await httpRequest(url, { body: '{"features":[1,0.5,2,0.1]}' }).catch(() => undefined))?.status === 200 ? true : undefined));
    assert.equal(kc(server, ['scale', 'deployment', 'ml-model', '--replicas=8']).trim(), 'deployment.apps/ml-model scaled');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    const pods = (kjson(server, ['get', 'pods', '-l', 'app=ml-model']).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
    assert.equal(pods.length, 8);
    assert.equal(new Set(pods.map((p) => p.status?.podIP)).size, 8, 'each replica has its own IP');
    const stream = requestStream(url, 10);
    await eventually('answers from all 8 pods', () => (Object.keys(stream.result.pods).length === 8 && stream.result.ok >= 40 ? true : undefined), 60_000).catch(() => undefined);
    const res = await stream.stop();
    assert.deepEqual(Object.keys(res.pods).sort(), pods.map((p) => p.metadata!.name!).sort());
    assert.equal(res.failed, 0, res.errors.join('; '));
  });

  test('the HPA scales out under the load generator and back in after the stabilization window', async () => {
    kc(server, ['scale', 'deployment', 'ml-model', '--replicas=1']);
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    applyFile(server, '02-scaling', 'hpa.yaml');
    applyFile(server, '02-scaling', 'load-generator.yaml');
    // The load generator's 200m of CPU is twice what one pod's 50 % target allows, four times over.
    await poll('the HPA scaling out', () => (deploymentReplicas() >= 3 ? true : undefined), 240_000);
    const up = await poll('the scale-out event', () => hpaEvents().find((e) => e.reason === 'SuccessfulRescale' && / reason: cpu resource utilization \(percentage of request\) above target$/.test(e.message ?? '')));
    assert.match(up.message!, /^New size: [345]; reason: cpu resource utilization \(percentage of request\) above target$/);
    const hpa = kjson<HorizontalPodAutoscaler>(server, ['get', 'hpa', 'ml-model']);
    assert.ok((hpa.status?.currentMetrics?.[0]?.resource?.current.averageUtilization ?? 0) > 0, JSON.stringify(hpa.status));
    assert.match(kc(server, ['get', 'hpa', 'ml-model', '--no-headers']), /^ml-model\s+Deployment\/ml-model\s+cpu: \d+%\/50%\s+1\s+5\s+[1-5]\s+/);
    // The generator's requests reach more than one replica.
    await poll('load spread over several pods', () => (/"pods":[2-5]\}/.test(kc(server, ['logs', 'deployment/load-generator', '--tail=3'])) ? true : undefined), 60_000);

    kc(server, ['delete', '-f', join(examplesDir, '02-scaling', 'load-generator.yaml')]);
    await poll('the HPA scaling back in to 1', () => (deploymentReplicas() === 1 ? true : undefined), 240_000);
    const down = hpaEvents().filter((e) => e.reason === 'SuccessfulRescale' && / reason: All metrics below target$/.test(e.message ?? ''));
    assert.ok(down.some((e) => e.message === 'New size: 1; reason: All metrics below target'), JSON.stringify(down.map((e) => e.message)));
  });

  test('common mistake: no CPU request, and the HPA cannot compute a replica count', async () => {
    applyExample(server, '02-scaling/mistake');
    // The new pods first have no metrics yet ("did not receive metrics for targeted pods"); once
    // they do, the HPA finds that it has nothing to take a percentage of.
    const cond = await poll('ScalingActive False for the missing request', () => {
      const h = kjson<HorizontalPodAutoscaler>(server, ['get', 'hpa', 'ml-model']);
      const c = h.status?.conditions?.find((x) => x.type === 'ScalingActive');
      return c?.status === 'False' && c.reason === 'FailedGetResourceMetric' && c.message?.includes('missing request') ? c : undefined;
    }, 120_000);
    assert.match(cond.message!, /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container model of Pod ml-model-[a-z0-9]+-[a-z0-9]+$/);
    const ev = await poll('the FailedGetResourceMetric event', () => hpaEvents().find((e) => e.reason === 'FailedGetResourceMetric' && e.message?.includes('missing request')));
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message!, /^failed to get cpu utilization: missing request for cpu in container model of Pod ml-model-/);
    assert.match(kc(server, ['get', 'hpa', 'ml-model', '--no-headers']), /cpu: <unknown>\/50%/);
  });
});

describe('examples/02-scaling/sim', { skip: e2eSkip(), timeout: 120_000 }, () => {
  let sim: ChildProcess | undefined;
  let simOut = '';
  const server = suiteServer({
    cleanUp: async () => {
      if (sim && sim.exitCode === null) {
        const exited = new Promise((r) => sim!.once('exit', r));
        sim.kill('SIGTERM');
        const timer = setTimeout(() => sim!.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  });

  before(async () => {
    sim = spawn(process.execPath, [capstanBin, 'sim', '--kubeconfig', server.kubeconfig, '--nodes', '5', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    sim.stdout!.on('data', (d: Buffer) => (simOut += d.toString()));
    sim.stderr!.on('data', (d: Buffer) => (simOut += d.toString()));
    await eventually('the simulated nodes', () => (/5 simulated nodes are running/.test(simOut) ? true : undefined), 30_000);
  });

  test('50 replicas land on the 5 simulated nodes, spread over all of them', async () => {
    applyExample(server, '02-scaling/sim');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=90s']);
    const rows = kc(server, ['get', 'pods', '-o', 'wide', '--no-headers']).trim().split('\n').map((l) => l.split(/\s+/));
    assert.equal(rows.length, 50);
    const perNode: Record<string, number> = {};
    for (const r of rows) {
      assert.deepEqual(r.slice(1, 3), ['1/1', 'Running'], r.join(' '));
      perNode[r[6]!] = (perNode[r[6]!] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(perNode).sort(), ['sim-0', 'sim-1', 'sim-2', 'sim-3', 'sim-4'], JSON.stringify(perNode));
  });
});

