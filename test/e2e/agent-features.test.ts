/**
 * Kubelet behaviours of the node agent, end to end with the real kubectl against `capstan server`
 * with two simulated GPUs: a GPU pod sees only its devices; a pod asking for more GPUs than are
 * free stays Pending, and one bound past the scheduler is rejected by node admission; devices
 * come back when a pod goes; activeDeadlineSeconds fails a pod; FallbackToLogsOnError puts the
 * log's tail in the termination message; postStart and preStop exec hooks run; a restarted
 * agent keeps the devices its running containers hold.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eSkip, kc, kubectl } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';

const skip = e2eSkip();

type Obj = Record<string, any>;

describe('node agent: admission, GPUs, deadlines, termination messages, hooks', { skip, timeout: 120_000 }, () => {
  const server = suiteServer({ agent: true, extraArgs: ['--fake-gpus', '2'], cleanUp: (s) => kubectl(s, ['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=30s']) });
  let scratch: string;

  const json = (args: string[]): Obj => JSON.parse(kc(server, [...args, '-o', 'json']));
  const pod = (name: string): Obj => json(['get', 'pod', name]);
  const apply = (obj: Obj) => kc(server, ['apply', '-f', '-'], { input: JSON.stringify(obj) });
  const events = (name: string) => kc(server, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}']);
  const podSpec = (name: string, spec: Obj, extra: Obj = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra }, spec: { terminationGracePeriodSeconds: 5, ...spec } });
  const gpuPod = (name: string, gpus: number, spec: Obj = {}) =>
    podSpec(name, {
      containers: [{ name: 'c', image: 'cuda', command: ['sh', '-c', 'echo "NVIDIA=$NVIDIA_VISIBLE_DEVICES CUDA=$CUDA_VISIBLE_DEVICES"; sleep 600'], resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
      ...spec,
    });
  // Until a restarted agent reports its new port, the API server may still dial the old one.
  const logLine = (name: string) => eventually(`the env line of ${name}`, () => kubectl(server, ['logs', name]).stdout.split('\n').find((l) => l.startsWith('NVIDIA=')));

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'capstan-hooks-'));
    await eventually('the node advertising 2 GPUs', () => {
      const r = kubectl(server, ['get', 'node', 'capstan-e2e', '-o', 'jsonpath={.status.allocatable.nvidia\\.com/gpu}']);
      return r.code === 0 && r.stdout === '2' ? true : undefined;
    });
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('GPU pods see only their devices; more than is free stays Pending or is rejected at the node', async () => {
    apply(gpuPod('gpu-a', 1));
    apply(podSpec('no-gpu', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo "NVIDIA=$NVIDIA_VISIBLE_DEVICES CUDA=$CUDA_VISIBLE_DEVICES"; sleep 600'] }] }));
    assert.equal(await logLine('gpu-a'), 'NVIDIA=fake-gpu-0 CUDA=fake-gpu-0');
    assert.equal(await logLine('no-gpu'), 'NVIDIA=void CUDA=');

    // The scheduler sees one GPU left of two.
    apply(gpuPod('gpu-b', 2));
    const unschedulable = await eventually('gpu-b unschedulable', () => {
      const p = pod('gpu-b');
      return p.status?.conditions?.find((c: Obj) => c.type === 'PodScheduled' && c.status === 'False');
    });
    assert.match(unschedulable.message, /Insufficient nvidia\.com\/gpu/);
    assert.equal(pod('gpu-b').status.phase, 'Pending');

    // Bound straight to the node, it meets the node's own admission.
    apply(gpuPod('gpu-bound', 2, { nodeName: 'capstan-e2e' }));
    const rejected = await eventually('gpu-bound rejected', () => {
      const s = pod('gpu-bound').status;
      return s?.phase === 'Failed' ? s : undefined;
    });
    assert.equal(rejected.reason, 'OutOfnvidia.com/gpu');
    assert.equal(rejected.message, "Pod was rejected: Node didn't have enough resource: nvidia.com/gpu, requested: 2, used: 1, capacity: 2");
    assert.match(events('gpu-bound'), /Warning OutOfnvidia\.com\/gpu: Node didn't have enough resource: nvidia\.com\/gpu, requested: 2, used: 1, capacity: 2/);

    // Once gpu-a is gone its device is free again: gpu-b gets both.
    kc(server, ['delete', 'pod', 'gpu-a', 'gpu-bound', '--grace-period=1', '--wait=true', '--timeout=30s']);
    assert.equal(await logLine('gpu-b'), 'NVIDIA=fake-gpu-0,fake-gpu-1 CUDA=fake-gpu-0,fake-gpu-1');
    kc(server, ['delete', 'pod', 'gpu-b', 'no-gpu', '--grace-period=1', '--wait=false']);
  });

  test('activeDeadlineSeconds fails the pod with DeadlineExceeded and stops its container', async () => {
    apply(podSpec('deadline', { activeDeadlineSeconds: 2, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '600'] }] }));
    const status = await eventually(
      'DeadlineExceeded',
      () => {
        const s = pod('deadline').status;
        return s?.phase === 'Failed' && s.containerStatuses?.[0]?.state?.terminated ? s : undefined;
      },
      30_000,
    );
    assert.equal(status.reason, 'DeadlineExceeded');
    assert.equal(status.message, 'Pod was active on the node longer than the specified deadline');
    assert.match(events('deadline'), /Normal DeadlineExceeded: Pod was active on the node longer than the specified deadline/);
    assert.equal(status.conditions.find((c: Obj) => c.type === 'Ready').reason, 'PodFailed');
  });

  test('FallbackToLogsOnError: a failed container’s message is the tail of its log; File gives none here', async () => {
    const script = 'echo first; sleep 0.3; echo second >&2; exit 3';
    apply(
      podSpec('fallback', {
        restartPolicy: 'Never',
        containers: [
          { name: 'logs', image: 'busybox', command: ['sh', '-c', script], terminationMessagePolicy: 'FallbackToLogsOnError' },
          { name: 'file', image: 'busybox', command: ['sh', '-c', script] },
        ],
      }),
    );
    const statuses = await eventually('both containers terminated', () => {
      const cs = pod('fallback').status?.containerStatuses as Obj[] | undefined;
      return cs?.length === 2 && cs.every((c) => c.state?.terminated) ? cs : undefined;
    });
    const byName = Object.fromEntries(statuses.map((c) => [c.name, c.state.terminated]));
    assert.equal(byName.logs.exitCode, 3);
    assert.equal(byName.logs.message, 'first\nsecond\n');
    assert.equal(byName.file.exitCode, 3);
    assert.equal(byName.file.message, undefined);
  });

  test('postStart and preStop exec hooks run; a failing postStart kills its container', async () => {
    const post = join(scratch, 'post-start');
    const pre = join(scratch, 'pre-stop');
    apply(
      podSpec('hooks', {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sleep', '600'],
            lifecycle: {
              postStart: { exec: { command: ['sh', '-c', `echo started > ${post}`] } },
              preStop: { exec: { command: ['sh', '-c', `echo stopping > ${pre}`] } },
            },
          },
        ],
      }),
    );
    await eventually('hooks Running', () => (pod('hooks').status?.phase === 'Running' ? true : undefined));
    assert.equal(readFileSync(post, 'utf8'), 'started\n');
    assert.equal(existsSync(pre), false);
    kc(server, ['delete', 'pod', 'hooks', '--wait=true', '--timeout=30s']);
    assert.equal(readFileSync(pre, 'utf8'), 'stopping\n');

    apply(
      podSpec('badhook', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '600'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 7'] } } } }],
      }),
    );
    const status = await eventually('badhook Failed', () => {
      const s = pod('badhook').status;
      return s?.phase === 'Failed' ? s : undefined;
    });
    assert.ok(status.containerStatuses[0].state.terminated);
    const uid = pod('badhook').metadata.uid;
    const ev = events('badhook');
    assert.ok(
      ev.includes(`Warning FailedPostStartHook: Exec lifecycle hook ([sh -c echo nope; exit 7]) for Container "c" in Pod "badhook_default(${uid})" failed - error: command 'sh -c echo nope; exit 7' exited with 7: , message: "nope\\n"`),
      ev,
    );
    assert.match(ev, /Normal Killing: FailedPostStartHook/);
  });

  test('a restarted agent keeps the devices its running containers hold', async () => {
    apply(gpuPod('keeper', 1));
    assert.equal(await logLine('keeper'), 'NVIDIA=fake-gpu-0 CUDA=fake-gpu-0');
    await server.restart();
    apply(gpuPod('second', 1, { nodeName: 'capstan-e2e' }));
    assert.equal(await logLine('second'), 'NVIDIA=fake-gpu-1 CUDA=fake-gpu-1');
    apply(gpuPod('third', 1, { nodeName: 'capstan-e2e' }));
    const rejected = await eventually('third rejected', () => {
      const s = pod('third').status;
      return s?.phase === 'Failed' ? s : undefined;
    });
    assert.equal(rejected.message, "Pod was rejected: Node didn't have enough resource: nvidia.com/gpu, requested: 1, used: 2, capacity: 2");
  });
});
