/**
 * `capstan sim`: registers simulated Nodes against a cluster and plays their kubelets until
 * SIGTERM/SIGINT (see src/sim/simulated-nodes.ts).
 */
import { parseArgs } from 'node:util';
import { parseQuantityResult } from '../api/quantity.js';
import { ApiClient } from '../client/api-client.js';
import { defaultSimOptions, parseDuration, parseLabelList, parseTaintList, simAnnotations, type SimOptions } from '../sim/sim-options.js';
import { startSimulatedNodes } from '../sim/simulated-nodes.js';
import { createLogger, parseLogLevel } from '../util/logger.js';

const d = defaultSimOptions;
const help = `Usage: capstan sim --kubeconfig PATH --nodes N [flags]

Registers N simulated Nodes and acts as their kubelets through the API: Leases renewed every
10 s, node status, and pods bound to them run (Running/Ready), finish, and are deleted.

Flags:
  --kubeconfig PATH                kubeconfig of the cluster (required)
  --context NAME                   kubeconfig context (default: current-context)
  --nodes N                        how many nodes (required)
  --name-prefix P                  node names are P0, P1, ... (default ${d.namePrefix})
  --first-index N                  number the nodes from N (default 0): simulators run side by side
                                   take disjoint ranges (distinct names, node IPs and pod IPs)
  --cpu Q                          cpu capacity per node (default ${d.cpu})
  --memory Q                       memory capacity per node (default ${d.memory})
  --pods N                         pod capacity per node (default ${d.pods})
  --gpus N                         nvidia.com/gpu per node (default ${d.gpus})
  --ephemeral-storage Q            ephemeral-storage per node (default ${d.ephemeralStorage})
  --arch A                         kubernetes.io/arch (default ${d.arch})
  --labels k=v,...                 extra node labels
  --taints k=v:Effect,...          node taints
  --zones N                        spread nodes over N zones, zone-a ... (default ${d.zones}; 0: no zone label)
  --ready-after DURATION           containers turn ready this long after starting (default 0s)
  --run-duration-annotation KEY    annotation giving a Never/OnFailure pod's run time in seconds
                                   (default ${simAnnotations.runSeconds}); ${simAnnotations.exitCode} sets its exit code
  --fail-heartbeat NODE            this node never heartbeats (repeatable); at run time, annotate a
                                   Node ${simAnnotations.stopHeartbeat}=true to silence it
  --node-lease-duration-seconds N  duration of the nodes' Leases, renewed every quarter of it (default
                                   ${d.leaseDurationSeconds}); shorter ones let a short --node-monitor-grace-period work
  --concurrency N                  writes in flight at once (default ${d.concurrency})
  --log-level LEVEL                debug, info, warn or error (default info)
  -h, --help                       show this help
`;

function fail(msg: string): number {
  process.stderr.write(`capstan sim: ${msg}\n`);
  return 2;
}

/** Parses the flags into simulator options; throws with a message on bad input. */
export function parseSimArgs(argv: string[]): { kubeconfig?: string; context?: string; logLevel?: string; help?: boolean; options: Partial<SimOptions> & Pick<SimOptions, 'nodes'> } {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      nodes: { type: 'string' },
      'name-prefix': { type: 'string' },
      'first-index': { type: 'string' },
      cpu: { type: 'string' },
      memory: { type: 'string' },
      pods: { type: 'string' },
      gpus: { type: 'string' },
      'ephemeral-storage': { type: 'string' },
      arch: { type: 'string' },
      labels: { type: 'string' },
      taints: { type: 'string' },
      zones: { type: 'string' },
      'ready-after': { type: 'string' },
      'run-duration-annotation': { type: 'string' },
      'fail-heartbeat': { type: 'string', multiple: true },
      'node-lease-duration-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      'log-level': { type: 'string' },
      v: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const int = (s: string | undefined, flag: string, dflt: number): number => {
    if (s === undefined) return dflt;
    if (!/^\d+$/.test(s)) throw new Error(`invalid --${flag} ${JSON.stringify(s)}: want a non-negative integer`);
    return Number(s);
  };
  const quantity = (s: string | undefined, flag: string, dflt: string): string => {
    if (s === undefined) return dflt;
    const r = parseQuantityResult(s);
    if (!r.ok) throw new Error(`invalid --${flag} ${JSON.stringify(s)}: ${r.error}`);
    return s;
  };
  if (!v.help && v.nodes === undefined) throw new Error('--nodes is required');
  const options: Partial<SimOptions> & Pick<SimOptions, 'nodes'> = {
    nodes: int(v.nodes, 'nodes', 0),
    namePrefix: v['name-prefix'] ?? d.namePrefix,
    firstIndex: int(v['first-index'], 'first-index', d.firstIndex),
    cpu: quantity(v.cpu, 'cpu', d.cpu),
    memory: quantity(v.memory, 'memory', d.memory),
    pods: int(v.pods, 'pods', d.pods),
    gpus: int(v.gpus, 'gpus', d.gpus),
    ephemeralStorage: quantity(v['ephemeral-storage'], 'ephemeral-storage', d.ephemeralStorage),
    arch: v.arch ?? d.arch,
    labels: parseLabelList(v.labels ?? ''),
    taints: parseTaintList(v.taints ?? ''),
    zones: int(v.zones, 'zones', d.zones),
    readyAfterMs: parseDuration(v['ready-after'] ?? '0s'),
    runSecondsAnnotation: v['run-duration-annotation'] ?? d.runSecondsAnnotation,
    failHeartbeat: v['fail-heartbeat'] ?? [],
    concurrency: int(v.concurrency, 'concurrency', d.concurrency),
  };
  if (v['node-lease-duration-seconds'] !== undefined) {
    const seconds = int(v['node-lease-duration-seconds'], 'node-lease-duration-seconds', d.leaseDurationSeconds);
    if (seconds < 1) throw new Error('--node-lease-duration-seconds must be at least 1');
    // The kubelet renews its Lease every quarter of its duration (nodelease.RenewIntervalFraction).
    options.leaseDurationSeconds = seconds;
    options.leaseRenewIntervalMs = seconds * 250;
  }
  return { kubeconfig: v.kubeconfig, context: v.context, logLevel: v['log-level'] ?? v.v, help: v.help, options };
}

export async function simCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseSimArgs(argv);
  } catch (e) {
    return fail(`${(e as Error).message}\n\n${help}`);
  }
  if (parsed.help) {
    process.stdout.write(help);
    return 0;
  }
  if (!parsed.kubeconfig) return fail(`--kubeconfig is required\n\n${help}`);
  let logger;
  try {
    logger = createLogger(parseLogLevel(parsed.logLevel));
  } catch (e) {
    return fail((e as Error).message);
  }
  const client = await ApiClient.fromKubeconfig(parsed.kubeconfig, parsed.context);
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info('shutting down', { signal: sig });
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await startSimulatedNodes(
      client,
      {
        ...parsed.options,
        logger,
        onReady: ({ nodes, registrationMs }) => process.stdout.write(`${nodes.length} simulated nodes are running (registered in ${registrationMs} ms)\n`),
      },
      stop.signal,
    );
  } catch (e) {
    return fail((e as Error).message);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    client.close();
  }
  return 0;
}
