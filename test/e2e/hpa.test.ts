/**
 * HorizontalPodAutoscaler end to end: a real `capstan server` runs the scheduler and every
 * controller except the HPA controller; this process runs simulated nodes and the HPA controller
 * with fake pod metrics. CPU at 2× the target scales a Deployment up to maxReplicas; low CPU scales
 * it back down once the (shortened) stabilization window has passed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import { realClock } from '../../src/client/clock.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import type { ResourceRef } from '../../src/client/resource-path.js';
import { ApiEventRecorder } from '../../src/controllers/events.js';
import { createHorizontalPodAutoscalerController } from '../../src/controllers/podautoscaler/horizontal-controller.js';
import { FakeMetricsSource } from '../../src/controllers/podautoscaler/metrics-source.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { capstanBin, startServer, type ServerHandle } from './harness.js';
import { eventually } from '../support/eventually.js';

const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const deploymentsRef: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
const hpaRef: ResourceRef = { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true };
const eventsRef: ResourceRef = { group: '', version: 'v1', plural: 'events', namespaced: true };

const skip = !existsSync(capstanBin) || !existsSync(join(dirname(capstanBin), '..', 'dist', 'src', 'cli', 'main.js')) ? 'needs the compiled server (npm run build)' : false;

const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('horizontal pod autoscaler end to end', { skip }, () => {
  let srv: ServerHandle;
  let client: ApiClient;
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const running: Promise<unknown>[] = [];
  const metrics = new FakeMetricsSource();
  let cpuPerPod = 0;

  before(async () => {
    srv = await startServer({ extraArgs: ['--controllers', '*,-horizontalpodautoscaling'] });
    client = await ApiClient.fromKubeconfig(srv.kubeconfig);
    const logger = createLogger(process.env.CAPSTAN_E2E_LOG === 'debug' ? 'debug' : 'error');
    let onReady!: () => void;
    const ready = new Promise<void>((r) => (onReady = r));
    running.push(startSimulatedNodes(client, { nodes: 2, logger, onReady: () => onReady() }, stop.signal));
    await ready;
    // Every Ready pod of the selector uses `cpuPerPod` millicores, sampled now.
    metrics.set('default', async (selector) => {
      const pods = (await client.list<Pod>(podsRef, { namespace: 'default', labelSelector: selector })).items.filter(isReady);
      return pods.map((p) => ({ pod: p.metadata!.name!, timestamp: Date.now(), windowMs: 0, containers: [{ name: 'app', usage: { cpu: cpuPerPod } }] }));
    });
    const informers = new SharedInformerFactory(client, { clock: realClock, logger });
    const recorder = new ApiEventRecorder(client, { component: 'horizontal-pod-autoscaler', logger });
    const hpa = createHorizontalPodAutoscalerController({ client, informers, logger, clock: realClock, recorder }, { metrics, syncPeriodMs: 300 });
    running.push(informers.start(stop.signal), hpa.start(stop.signal).finally(() => recorder.close()));
  });

  after(async () => {
    stop.abort();
    await Promise.allSettled(running);
    client?.close();
    await srv?.stop();
  });

  /** Resolves once the Deployment has `replicas` desired and that many Ready pods. */
  async function waitForReplicas(replicas: number): Promise<void> {
    const deadline = AbortSignal.timeout(60_000);
    const signal = AbortSignal.any([deadline, stop.signal]);
    for (;;) {
      const list = await client.list<Deployment & ApiObject>(deploymentsRef, { namespace: 'default', fieldSelector: 'metadata.name=web' });
      const d = list.items[0];
      if (d?.spec?.replicas === replicas && d.status?.readyReplicas === replicas && (d.status?.replicas ?? 0) === replicas) return;
      for await (const ev of client.watch<Deployment & ApiObject>(deploymentsRef, { namespace: 'default', fieldSelector: 'metadata.name=web', resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 5, signal })) {
        const o = ev.object;
        if (o.spec?.replicas === replicas && o.status?.readyReplicas === replicas && (o.status?.replicas ?? 0) === replicas) return;
      }
      if (deadline.aborted) assert.fail(`Deployment did not reach ${replicas} ready replicas; last: spec ${d?.spec?.replicas}, ready ${d?.status?.readyReplicas}`);
    }
  }

  test('scales up at 2× the CPU target up to maxReplicas, then down after the stabilization window', async () => {
    await client.create<Deployment & ApiObject>(deploymentsRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { tolerations: [{ operator: 'Exists' }], containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m' } } }] },
        },
      },
    });
    await waitForReplicas(2);
    cpuPerPod = 100; // 2× the 50 % target
    await client.create<HorizontalPodAutoscaler & ApiObject>(hpaRef, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 2 } },
      },
    });
    await waitForReplicas(3);
    const up = await client.get<HorizontalPodAutoscaler & ApiObject>(hpaRef, 'web', { namespace: 'default' });
    assert.ok(up.status?.lastScaleTime);
    // The recorder writes events asynchronously.
    const rescaled = (e: Event) => e.reason === 'SuccessfulRescale' && e.message === 'New size: 3; reason: cpu resource utilization (percentage of request) above target';
    let events: Event[] = [];
    await eventually('the SuccessfulRescale event', async () => {
      events = (await client.list<Event>(eventsRef, { namespace: 'default', fieldSelector: 'involvedObject.name=web,involvedObject.kind=HorizontalPodAutoscaler' })).items;
      return events.some(rescaled) ? true : undefined;
    }, 10_000).catch(() => undefined);
    assert.ok(events.some(rescaled), JSON.stringify(events.map((e) => e.message)));

    cpuPerPod = 10; // 20 % of the request
    await waitForReplicas(1);
    const down = await client.get<HorizontalPodAutoscaler & ApiObject>(hpaRef, 'web', { namespace: 'default' });
    assert.equal(down.status?.desiredReplicas, 1);
    const cond = Object.fromEntries((down.status?.conditions ?? []).map((c) => [c.type, c]));
    assert.equal(cond.ScalingActive?.status, 'True');
    assert.equal(cond.ScalingActive?.reason, 'ValidMetricFound');
    assert.equal(cond.ScalingActive?.message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    assert.equal(cond.AbleToScale?.status, 'True');
    assert.equal(down.status?.currentMetrics?.[0]?.resource?.name, 'cpu');
  });
});
