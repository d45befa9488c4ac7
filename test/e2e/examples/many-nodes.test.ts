/**
 * Scenario 5 of examples/ (many nodes), run as its README tells a user to: a server without an
 * agent, `capstan sim` processes for the nodes (sim-0..2 in one, sim-3 in its own so that it can
 * be stopped), `kubectl apply -k examples/05-many-nodes`; then sim-3's process is stopped (its
 * pods are evicted and recreated elsewhere), restarted, and `kubectl drain` empties a node within
 * the PodDisruptionBudget. The grace periods are shorter than the README's, the Leases too.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { capstanBin, e2eSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, kjson } from './support.js';

const skip = e2eSkip();

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { conditions?: { type: string; status: string }[] };
}
interface NodeJson {
  metadata: { name: string };
  spec: { taints?: { key: string; effect: string }[]; unschedulable?: boolean };
  status: { conditions?: { type: string; status: string; reason?: string }[] };
}

const ready = (o: { status: { conditions?: { type: string; status: string }[] } }) => o.status.conditions?.find((c) => c.type === 'Ready')?.status;

describe('examples/05-many-nodes', { skip, timeout: 240_000 }, () => {
  const sims = new Map<string, ChildProcess>();
  const server = suiteServer({
    extraArgs: ['--node-monitor-grace-period', '3s', '--default-toleration-seconds', '2'],
    cleanUp: async () => {
      for (const name of [...sims.keys()]) await stopSim(name);
    },
  });

  /** `capstan sim` as its own process, as a user starts it. */
  function startSim(name: string, args: string[]): void {
    const p = spawn(process.execPath, [capstanBin, 'sim', '--kubeconfig', server.kubeconfig, '--ready-after', '1s', '--node-lease-duration-seconds', '2', '--log-level', 'error', ...args], { stdio: 'ignore' });
    sims.set(name, p);
  }
  async function stopSim(name: string): Promise<void> {
    const p = sims.get(name);
    sims.delete(name);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }
  const pods = () => kjson<{ items: PodJson[] }>(server, ['get', 'pods', '-l', 'app=ml-model']).items;
  const node = (name: string) => kjson<NodeJson>(server, ['get', 'node', name]);
  const live = (ps: PodJson[]) => ps.filter((p) => !p.metadata.deletionTimestamp);
  const perNode = (ps: PodJson[]) => {
    const out: Record<string, number> = {};
    for (const p of ps) out[p.spec.nodeName ?? '<none>'] = (out[p.spec.nodeName ?? '<none>'] ?? 0) + 1;
    return out;
  };
  const allReadyOnce = (n: number) => eventually(`${n} ready replicas`, () => {
    const ps = live(pods());
    return ps.length === n && ps.every((p) => ready(p) === 'True') ? ps : undefined;
  }, 60_000, 500);

  before(async () => {
    startSim('main', ['--nodes', '3']);
    startSim('spot', ['--nodes', '1', '--first-index', '3']);
    await eventually('four Ready nodes', () => {
      const nodes = kjson<{ items: NodeJson[] }>(server, ['get', 'nodes']).items;
      return nodes.length === 4 && nodes.every((n) => ready(n) === 'True' && !n.spec.taints?.length) ? true : undefined;
    }, 30_000, 500);
  });

  test('eight replicas spread two to a node', async () => {
    assert.match(applyExample(server, '05-many-nodes'), /poddisruptionbudget\.policy\/ml-model created/);
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=90s']);
    const ps = await allReadyOnce(8);
    assert.deepEqual(perNode(ps), { 'sim-0': 2, 'sim-1': 2, 'sim-2': 2, 'sim-3': 2 });
    assert.match(kc(server, ['get', 'pods', '-o', 'wide']), /\ssim-3\s/);
  });

  test('a node whose kubelet stops is tainted, and its pods are recreated on the others', async () => {
    const onSpot = live(pods()).filter((p) => p.spec.nodeName === 'sim-3').map((p) => p.metadata.name);
    assert.equal(onSpot.length, 2);
    await stopSim('spot');
    const n = await eventually('sim-3 tainted unreachable', () => {
      const n = node('sim-3');
      return n.spec.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? n : undefined;
    }, 30_000, 500);
    const cond = n.status.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual([cond?.status, cond?.reason], ['Unknown', 'NodeStatusUnknown']);
    assert.ok(n.spec.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule'));
    assert.match(kc(server, ['get', 'node', 'sim-3', '--no-headers']), /^sim-3\s+NotReady\s/);

    // After tolerationSeconds the pods are marked for deletion; replacements run on sim-0..2.
    const ps = await allReadyOnce(8);
    assert.ok(ps.every((p) => p.spec.nodeName !== 'sim-3'), JSON.stringify(perNode(ps)));
    assert.deepEqual(Object.values(perNode(ps)).sort(), [2, 3, 3]);
    const stuck = pods().filter((p) => onSpot.includes(p.metadata.name));
    assert.ok(stuck.every((p) => p.metadata.deletionTimestamp), 'the dead node cannot confirm the deletion: Terminating');
    const events = kc(server, ['get', 'events', '--field-selector', 'reason=TaintManagerEviction']);
    for (const name of onSpot) assert.match(events, new RegExp(`Marking for deletion Pod default/${name}`));

    // The kubelet comes back: Ready, untainted, and it finishes its Terminating pods.
    startSim('spot', ['--nodes', '1', '--first-index', '3']);
    await eventually('sim-3 Ready again with its old pods gone', () => {
      const n = node('sim-3');
      return ready(n) === 'True' && !n.spec.taints?.length && pods().length === 8 ? true : undefined;
    }, 30_000, 500);
  });

  test('kubectl drain evicts within the PodDisruptionBudget, retrying while it forbids', async () => {
    await allReadyOnce(8);
    await eventually('one disruption allowed', () => (kc(server, ['get', 'pdb', 'ml-model', '-o', 'jsonpath={.status.disruptionsAllowed}']) === '1' ? true : undefined), 30_000, 500);
    const before = live(pods()).filter((p) => p.spec.nodeName === 'sim-1').length;
    assert.ok(before >= 2, `sim-1 holds ${before} pods`);
    const drain = kubectl(server, ['drain', 'sim-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'], { timeoutMs: 150_000 });
    const out = drain.stdout + drain.stderr;
    assert.equal(drain.code, 0, out);
    // Two pods, one disruption allowed: the second eviction waits for the first pod's replacement.
    assert.match(out, /error when evicting pods\/"ml-model-[a-z0-9-]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(out, /node\/sim-1 drained/);
    assert.equal(node('sim-1').spec.unschedulable, true);
    const ps = await allReadyOnce(8);
    assert.ok(ps.every((p) => p.spec.nodeName !== 'sim-1'), JSON.stringify(perNode(ps)));
    kc(server, ['uncordon', 'sim-1']);
  });

  test('common mistake: a budget that allows no disruption blocks drain for ever', async () => {
    kc(server, ['patch', 'pdb', 'ml-model', '--type', 'merge', '-p', '{"spec":{"maxUnavailable":0}}']);
    await eventually('no disruption allowed', () => (kc(server, ['get', 'pdb', 'ml-model', '-o', 'jsonpath={.status.disruptionsAllowed}']) === '0' ? true : undefined), 30_000, 500);
    const drain = kubectl(server, ['drain', 'sim-2', '--ignore-daemonsets', '--timeout=6s']);
    const out = drain.stdout + drain.stderr;
    assert.notEqual(drain.code, 0, out);
    assert.match(out, /Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(out, /error: unable to drain node "sim-2" due to error: \[error when evicting pods\/"ml-model-[a-z0-9-]+" -n "default": global timeout reached: 6s/);
    assert.ok(live(pods()).some((p) => p.spec.nodeName === 'sim-2'), 'the pods stay');
    kc(server, ['uncordon', 'sim-2']);
  });
});
