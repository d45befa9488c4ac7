/**
 * Simulated nodes (the idea of kwok, built in): N fake Nodes whose kubelets exist only as API
 * writes — registration, Lease heartbeats, node status, and pods driven through their lifecycle —
 * so that the scheduler and controllers can be exercised at thousands of nodes on one machine.
 * A client like the agent: it lists, watches and writes through the API and nothing else.
 */
import { setMaxListeners } from 'node:events';
import type { ApiClient } from '../client/api-client.js';
import { realClock } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import { listWatcherFor } from '../client/list-watch.js';
import { NodeFleet } from './node-fleet.js';
import { type NodeObject, nodesRef } from './resources.js';
import { type SimOptions, defaultSimOptions, simLabels } from './sim-options.js';
import { SimulatedPods } from './simulated-pods.js';
import { WriteLimiter } from './write-limiter.js';

/** Throws on settings that cannot work (before anything is written). */
export function validateSimOptions(o: SimOptions): void {
  const positiveInt = (v: number, what: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${what} must be an integer of at least ${min}, not ${v}`);
  };
  positiveInt(o.nodes, 'nodes', 0);
  positiveInt(o.firstIndex, 'firstIndex', 0);
  positiveInt(o.pods, 'pods', 0);
  positiveInt(o.gpus, 'gpus', 0);
  positiveInt(o.zones, 'zones', 0);
  positiveInt(o.concurrency, 'concurrency', 1);
  positiveInt(o.podWorkers, 'podWorkers', 1);
  if (!(o.readyAfterMs >= 0)) throw new Error(`readyAfter must not be negative`);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9-])?$/.test(o.namePrefix)) throw new Error(`name prefix ${JSON.stringify(o.namePrefix)} must start a DNS-1123 subdomain`);
}

/**
 * Registers the simulated nodes and runs their kubelets until `signal` aborts; resolves once
 * everything it started has stopped. `options.onReady` reports when every node has been
 * registered (or tried once) and pods are being handled.
 */
export async function startSimulatedNodes(client: ApiClient, options: Partial<SimOptions> & Pick<SimOptions, 'nodes'>, signal: AbortSignal): Promise<void> {
  const opts: SimOptions = { ...defaultSimOptions, ...options };
  validateSimOptions(opts);
  if (signal.aborted) return;
  const clock = opts.clock ?? realClock;
  const log = opts.logger?.child('sim');
  // Every write carries the signal: one internal signal, without the listener-count warning.
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  const onAbort = () => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });

  const limiter = new WriteLimiter(opts.concurrency);
  const nodeInformer = new Informer<NodeObject>(listWatcherFor<NodeObject>(client, nodesRef, { labelSelector: `${simLabels.simulated}=true` }), { name: 'sim-nodes', clock, logger: log });
  let pods: SimulatedPods | undefined;
  const fleet = new NodeFleet(client, opts, { clock, limiter, nodes: nodeInformer, logger: log, onResume: (n) => pods?.resyncNode(n) });
  pods = new SimulatedPods(client, fleet, {
    clock,
    limiter,
    readyAfterMs: opts.readyAfterMs,
    runSecondsAnnotation: opts.runSecondsAnnotation,
    workers: opts.podWorkers,
    logger: log,
  });
  nodeInformer.addEventHandler({
    onAdd: (n) => fleet.observe(n),
    onUpdate: (_, n) => fleet.observe(n),
    onDelete: (n) => fleet.forget(n),
  });

  const running: Promise<void>[] = [nodeInformer.start(inner.signal)];
  try {
    if (!(await nodeInformer.waitForSync(inner.signal))) return;
    const startedAt = clock.now();
    await fleet.registerAll(inner.signal);
    if (inner.signal.aborted) return;
    const registrationMs = clock.now() - startedAt;
    log?.info('simulated nodes registered', { nodes: fleet.registeredCount(), of: opts.nodes, ms: registrationMs });
    running.push(pods.start(inner.signal));
    fleet.startTicking(inner.signal);
    if (!(await pods.waitForSync(inner.signal))) return;
    opts.onReady?.({ nodes: fleet.names(), registrationMs });
    await new Promise<void>((resolve) => {
      if (inner.signal.aborted) resolve();
      else inner.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    inner.abort();
    await Promise.all(running);
    await limiter.idle();
  }
}
