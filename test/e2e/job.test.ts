/**
 * Job and CronJob controllers against a real `capstan server` (compiled dist/), run in this
 * process over a shared informer factory. The test plays the kubelet: it writes each new pod's
 * terminal status through `/status` (index 2 of the Indexed Job fails once), so neither a
 * scheduler nor simulated nodes are needed. The CronJob controller runs on a FakeClock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import { FakeClock, realClock, type Clock } from '../../src/client/clock.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { FakeEventRecorder } from '../../src/controllers/events.js';
import { JobController, jobsResource, podsResource } from '../../src/controllers/job/job-controller.js';
import { CronJobController, cronJobsResource } from '../../src/controllers/cronjob/cronjob-controller.js';
import { createLogger } from '../../src/util/logger.js';
import { capstanBin, startServer, type ServerHandle } from './harness.js';
import { eventually } from '../support/eventually.js';

const compiled = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url));
const skip = compiled ? false : 'needs the compiled server (npm run build)';
if (skip) console.log(`# skipping job e2e: ${skip}`);

const logger = createLogger('error', 'job-e2e');

function startControllers(client: ApiClient, clock: Clock, signal: AbortSignal) {
  const informers = new SharedInformerFactory(client, { clock });
  const recorder = new FakeEventRecorder();
  const ctx = { client, informers, logger, clock, recorder };
  const controllers = [new JobController(ctx, { workers: 2 }), new CronJobController(ctx)];
  const running = Promise.all([informers.start(signal), ...controllers.map((c) => c.start(signal))]);
  return { informers, recorder, running };
}

const finishedCondition = async (client: ApiClient, name: string) => {
  const j = await client.get<Job>(jobsResource, name, { namespace: 'default' });
  return j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ? j : undefined;
};

describe('job controllers against a real server', { skip }, () => {
  let server: ServerHandle;
  let client: ApiClient;
  const ac = new AbortController();
  let running: Promise<unknown>;
  let recorder: FakeEventRecorder;
  const kubeletAc = new AbortController();
  let kubelet: Promise<void>;

  before(async () => {
    server = await startServer({ extraArgs: ['--disable-controller-manager'] });
    client = await ApiClient.fromKubeconfig(server.kubeconfig);
    ({ running, recorder } = startControllers(client, realClock, ac.signal));
    // The test's kubelet: finish every new job pod; exit code from the pod's `test/exit-codes` annotation, one per attempt of its index.
    const attempts = new Map<string, number>();
    const informers = new SharedInformerFactory(client);
    const pods = informers.informerFor<Pod & ApiObject>(podsResource);
    const codeFor = new Map<string, number>();
    const finish = async (p: Pod) => {
      const uid = p.metadata?.uid ?? '';
      if (!codeFor.has(uid)) {
        const ix = p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] ?? '';
        const a = p.metadata?.annotations ?? {};
        const codes = (a[`test/exit-codes-${ix}`] ?? a['test/exit-codes'] ?? '0').split(',').map(Number);
        const key = `${p.metadata?.labels?.['job-name']}/${ix}`;
        const n = attempts.get(key) ?? 0;
        attempts.set(key, n + 1);
        codeFor.set(uid, codes[Math.min(n, codes.length - 1)]);
      }
      const code = codeFor.get(uid)!;
      // Re-read and retry on conflict: the pod may change between the event and the write.
      for (let i = 0; i < 5; i++) {
        const fresh = await client.get<Pod>(podsResource, p.metadata!.name!, { namespace: p.metadata?.namespace }).catch(() => undefined);
        if (!fresh || fresh.status?.phase === 'Succeeded' || fresh.status?.phase === 'Failed' || fresh.metadata?.deletionTimestamp) return;
        const now = new Date().toISOString();
        const status = {
          phase: code === 0 ? 'Succeeded' : 'Failed',
          startTime: now,
          containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code, reason: code ? 'Error' : 'Completed', startedAt: now, finishedAt: now } } }],
        };
        const ok = await client.updateStatus(podsResource, { ...(fresh as ApiObject), status } as ApiObject).then(() => true, () => false);
        if (ok) return;
      }
    };
    pods.addEventHandler({ onAdd: (p) => void finish(p) });
    kubelet = informers.start(kubeletAc.signal);
  });
  after(async () => {
    kubeletAc.abort();
    ac.abort();
    await Promise.all([running, kubelet]);
    client?.close();
    await server?.stop();
  });

  const template = (annotations: Record<string, string>) => ({
    metadata: { annotations },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
  });

  test('an Indexed Job whose index 2 fails once completes', async () => {
    // Index 2's first pod fails; its replacement (after the 10 s back-off) succeeds.
    await client.create(jobsResource, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'indexed', namespace: 'default' }, spec: { completionMode: 'Indexed', completions: 4, parallelism: 2, template: template({ 'test/exit-codes-2': '1,0' }) } } as ApiObject);
    const job = await eventually('Complete', () => finishedCondition(client, 'indexed'), 60_000).catch(async (e: Error) => {
      const j = await client.get<Job>(jobsResource, 'indexed', { namespace: 'default' });
      const pods = await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'job-name=indexed' });
      throw new Error(`${e.message}: status ${JSON.stringify(j.status)}; pods ${JSON.stringify(pods.items.map((p) => [p.metadata?.name, p.status?.phase, p.metadata?.finalizers, p.metadata?.deletionTimestamp]))}`);
    });
    assert.deepEqual(job.status?.conditions?.map((c) => c.type), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(job.status?.completedIndexes, '0-3');
    assert.equal(job.status?.succeeded, 4);
    assert.equal(job.status?.active ?? 0, 0);
    assert.ok(job.status?.completionTime);
    const pods = await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'batch.kubernetes.io/job-name=indexed' });
    assert.ok(pods.items.every((p) => !p.metadata?.finalizers?.includes('batch.kubernetes.io/job-tracking')));
    assert.ok(recorder.events.some((e) => e.reason === 'Completed' && e.object === 'default/indexed'));
  });

  test('a Job failing past its backoffLimit fails with BackoffLimitExceeded', async () => {
    await client.create(jobsResource, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'doomed', namespace: 'default' }, spec: { backoffLimit: 0, template: template({ 'test/exit-codes': '1' }) } } as ApiObject);
    const job = await eventually('Failed', () => finishedCondition(client, 'doomed'));
    const failed = job.status?.conditions?.find((c) => c.type === 'Failed');
    assert.equal(failed?.reason, 'BackoffLimitExceeded');
    assert.equal(failed?.message, 'Job has reached the specified backoff limit');
    assert.equal(job.status?.failed, 1);
  });
});

describe('cronjob controller on a fake clock', { skip }, () => {
  test('creates the Job of the schedule time', async () => {
    const server = await startServer({ extraArgs: ['--disable-controller-manager'] });
    const client = await ApiClient.fromKubeconfig(server.kubeconfig);
    const ac = new AbortController();
    try {
      const cj = await client.create(cronJobsResource, { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', namespace: 'default' }, spec: { schedule: '*/5 * * * *', timeZone: 'UTC', jobTemplate: { spec: { template: template0() } } } } as ApiObject);
      // The clock starts just before the first schedule time after the CronJob's creation.
      const created = Date.parse(cj.metadata.creationTimestamp!);
      const first = Math.floor(created / 300_000) * 300_000 + 300_000;
      const clock = new FakeClock(first - 1000);
      const { running } = startControllers(client, clock, ac.signal);
      const stepped = eventually('the requeue timer', async () => (clock.pending() > 0 ? true : undefined));
      await stepped;
      clock.step(2000);
      const jobName = `tick-${first / 60_000}`;
      const job = await eventually('the Job', () => client.get<Job>(jobsResource, jobName, { namespace: 'default' }).catch(() => undefined));
      assert.equal(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(first).toISOString().replace('.000Z', 'Z'));
      assert.equal(job.metadata?.ownerReferences?.[0].kind, 'CronJob');
      const status = await eventually('status.active', async () => {
        const c = await client.get<ApiObject & { status?: { active?: unknown[]; lastScheduleTime?: string } }>(cronJobsResource, 'tick', { namespace: 'default' });
        return c.status?.active?.length ? c.status : undefined;
      });
      assert.equal(status.lastScheduleTime, new Date(first).toISOString().replace('.000Z', 'Z'));
      ac.abort();
      await running;
    } finally {
      ac.abort();
      client.close();
      await server.stop();
    }
  });
});

function template0() {
  return { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } };
}
