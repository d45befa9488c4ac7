/**
 * Scenario 7 of examples/ (GPUs), run as its README tells a user to, on a server started with
 * `--fake-gpus 4` (process runtime, host network): two training Jobs get two distinct devices each,
 * a third waits Pending with the scheduler's `Insufficient nvidia.com/gpu`, and the `serving-high`
 * model server preempts a `training-low` pod and runs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { e2eSkip, kc, kubectl, type ServerHandle } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, examplesDir, kjson } from './support.js';

const skip = e2eSkip();
const insufficient = '0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';

/** The devices a trainer logged (its GPU_CHECK line); none while its container has not started. */
function devicesOf(server: ServerHandle, job: string): string[] {
  const line = kubectl(server, ['logs', `job/${job}`])
    .stdout.split('\n')
    .find((l) => l.includes('"devices"'));
  return line ? (JSON.parse(line).NVIDIA_VISIBLE_DEVICES as string).split(',') : [];
}

describe('examples/07-gpus', { skip, timeout: 180_000 }, () => {
  const server = suiteServer({
    agent: true,
    runtime: 'process',
    network: 'host',
    extraArgs: ['--fake-gpus', '4'],
    cleanUp: (s) => {
      kubectl(s, ['delete', 'deployment,job', '--all', '--wait=true', '--timeout=60s']);
      kubectl(s, ['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=true', '--timeout=60s']);
    },
  });

  test('each training Job gets two distinct GPUs', async () => {
    assert.equal(kjson(server, ['get', 'node', 'capstan-e2e']).status.allocatable['nvidia.com/gpu'], '4');
    const out = applyExample(server, '07-gpus');
    assert.match(out, /priorityclass\.scheduling\.k8s\.io\/training-low created/);
    const a = await eventually('train-a logged its devices', () => (devicesOf(server, 'train-a').length ? devicesOf(server, 'train-a') : undefined));
    const b = await eventually('train-b logged its devices', () => (devicesOf(server, 'train-b').length ? devicesOf(server, 'train-b') : undefined));
    assert.equal(a.length, 2);
    assert.equal(b.length, 2);
    assert.equal(new Set([...a, ...b]).size, 4, `devices shared: ${a} / ${b}`);
    assert.match(kc(server, ['describe', 'node', 'capstan-e2e']), /nvidia\.com\/gpu\s+4\s+4/);
  });

  test('a third training pod waits Pending: Insufficient nvidia.com/gpu (the common mistake)', async () => {
    kc(server, ['apply', '-f', join(examplesDir, '07-gpus', 'third-training.yaml')]);
    const ev = await eventually('a FailedScheduling event', () => {
      const items = kjson(server, ['get', 'events', '--field-selector', 'reason=FailedScheduling']).items as any[];
      return items.find((e) => e.involvedObject.name.startsWith('train-c-'));
    });
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, insufficient);
    const pod = kjson(server, ['get', 'pods', '-l', 'job-name=train-c']).items[0];
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.status.conditions.find((c: any) => c.type === 'PodScheduled').reason, 'Unschedulable');
  });

  test('the serving-high model server preempts a training-low pod and runs', async () => {
    const before = (kjson(server, ['get', 'pods', '-l', 'app=trainer', '--field-selector', 'status.phase=Running']).items as any[]).map((p) => p.metadata.name as string);
    assert.equal(before.length, 2);
    applyExample(server, '07-gpus/serving');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=90s']);
    const model = kjson(server, ['get', 'pods', '-l', 'app=ml-model']).items[0];
    assert.equal(model.spec.priority, 100000);
    const events = kjson(server, ['get', 'events']).items as any[];
    const preempted = events.filter((e) => e.reason === 'Preempted' && before.includes(e.involvedObject.name));
    assert.equal(preempted.length, 1, JSON.stringify(events.map((e) => `${e.reason} ${e.involvedObject.name}`)));
    const victim = preempted[0].involvedObject.name as string;
    assert.equal(preempted[0].message, `Preempted by pod ${model.metadata.uid} on node capstan-e2e`);
    assert.ok(events.some((e) => e.reason === 'Killing' && e.involvedObject.name === victim && e.message === 'Stopping container trainer'));
    // The survivor keeps running; the victim's Job makes a new pod, which waits for GPUs.
    const running = (kjson(server, ['get', 'pods', '-l', 'app=trainer', '--field-selector', 'status.phase=Running']).items as any[]).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
    assert.deepEqual(running, before.filter((n) => n !== victim));
    await eventually('the victim is gone', () => (kubectl(server, ['get', 'pod', victim]).code !== 0 ? true : undefined));
  });
});
