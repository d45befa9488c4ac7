/**
 * Scenario 6 of examples/ (batch training): the Indexed Job trains four shards with checkpoints on
 * a PVC, one shard's failure is retried and counted, a "preempted" shard (exit 143) is retried
 * without counting as its podFailurePolicy says, and retried shards resume from their checkpoints.
 * The CronJob's nightly run is seen on an injected clock: the server runs every controller but the
 * CronJob one, which runs in this process on a FakeClock set just before 02:00. Sandbox runtime
 * (the PVC), host network.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { sandboxUnavailable } from '../../../src/agent/runtime/sandbox/probe.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { FakeClock } from '../../../src/client/clock.js';
import { SharedInformerFactory } from '../../../src/client/informer-factory.js';
import { CronJobController, cronJobsResource } from '../../../src/controllers/cronjob/cronjob-controller.js';
import { FakeEventRecorder } from '../../../src/controllers/events.js';
import { jobsResource } from '../../../src/controllers/job/job-controller.js';
import { createLogger } from '../../../src/util/logger.js';
import { e2eSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, examplesDir, kjson } from './support.js';

const skip = e2eSkip() || ((await sandboxUnavailable()) ?? false);

describe('examples/06-batch-training', { skip, timeout: 300_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'sandbox', extraArgs: ['--controllers', '*,-cronjob'], deleteAll: ['jobs,cronjobs'] });

  test('the Indexed Job completes all shards; a failure is counted, a preemption is not; retries resume', async () => {
    applyExample(server, '06-batch-training');
    kc(server, ['wait', '--for=condition=complete', 'job/train-shards', '--timeout=180s']);
    const job = kjson<Job>(server, ['get', 'job', 'train-shards']);
    assert.equal(job.status?.succeeded, 4);
    assert.equal(job.status?.completedIndexes, '0-3');
    // Shard 1's exit 1 counts against backoffLimit; shard 2's exit 143 matched the Ignore rule.
    assert.equal(job.status?.failed, 1);
    for (const shard of ['1', '2']) {
      const pods = kjson(server, ['get', 'pods', '-l', `batch.kubernetes.io/job-completion-index=${shard}`]).items as { metadata: { name: string }; status: { phase: string } }[];
      assert.deepEqual(pods.map((p) => p.status.phase).sort(), ['Failed', 'Succeeded'], `shard ${shard}`);
      const retry = pods.find((p) => p.status.phase === 'Succeeded')!;
      const log = kc(server, ['logs', retry.metadata.name]);
      assert.match(log, /"msg":"resumed from checkpoint","shard":\d,"pod":"train-shards-\d","epoch":1}/);
      assert.match(log, /"msg":"training complete"/);
    }
    const pvc = kjson(server, ['get', 'pvc', 'checkpoints']);
    assert.equal(pvc.status.phase, 'Bound');
  });

  test('the CronJob starts a retraining at 02:00 (injected clock), and on demand with kubectl create job --from', async () => {
    const client = await ApiClient.fromKubeconfig(server.kubeconfig);
    const ac = new AbortController();
    try {
      const cj = kjson(server, ['get', 'cronjob', 'nightly-retrain']);
      const created = Date.parse(cj.metadata.creationTimestamp);
      const day = 24 * 3600_000;
      const twoAm = Math.floor(created / day) * day + 2 * 3600_000;
      const first = twoAm > created ? twoAm : twoAm + day;
      const clock = new FakeClock(first - 1000);
      const informers = new SharedInformerFactory(client, { clock });
      const controller = new CronJobController({ client, informers, logger: createLogger('error', 'cronjob'), clock, recorder: new FakeEventRecorder() });
      const running = Promise.all([informers.start(ac.signal), controller.start(ac.signal)]);
      await eventually('the requeue timer', () => (clock.pending() > 0 ? true : undefined));
      clock.step(2000);
      const name = `nightly-retrain-${first / 60_000}`;
      const job = await eventually('the nightly Job', () => client.get<Job>(jobsResource, name, { namespace: 'default' }).catch(() => undefined));
      assert.equal(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(first).toISOString().replace('.000Z', 'Z'));
      kc(server, ['wait', '--for=condition=complete', `job/${name}`, '--timeout=120s']);
      const status = await eventually('lastScheduleTime', async () => (await client.get<{ status?: { lastScheduleTime?: string } } & Job>(cronJobsResource, 'nightly-retrain', { namespace: 'default' })).status?.lastScheduleTime);
      assert.equal(status, new Date(first).toISOString().replace('.000Z', 'Z'));
      ac.abort();
      await running;
    } finally {
      ac.abort();
      client.close();
    }
    assert.equal(kc(server, ['create', 'job', '--from=cronjob/nightly-retrain', 'manual-1']).trim(), 'job.batch/manual-1 created');
    kc(server, ['wait', '--for=condition=complete', 'job/manual-1', '--timeout=120s']);
    assert.match(kc(server, ['logs', 'job/manual-1']), /"msg":"training complete","shard":0,.*"epochs":2/);
  });

  test('common mistake: a podFailurePolicy with restartPolicy OnFailure is refused', () => {
    const r = kubectl(server, ['apply', '-f', `${examplesDir}/06-batch-training/mistake.yaml`]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'The Job "train-onfailure" is invalid: spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified');
  });
});
