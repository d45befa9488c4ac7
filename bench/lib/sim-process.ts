/**
 * A simulated-node fleet in its own process, for benchmarks: the benchmark's measuring event loop
 * stays free of the simulated kubelets' work, and the fleet's CPU is accounted separately.
 *
 * Run as `node sim-process.js '<json>'` with the JSON of SimChildOptions. It prints
 * `sim ready <nodes> <registration ms>` once every node is registered, and stops on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/client/api-client.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { isMain } from './main.js';
import { stopProcess } from './server.js';

export interface SimChildOptions {
  kubeconfig: string;
  nodes: number;
  namePrefix?: string;
  zones?: number;
  /** Lease renewal interval (the kubelet's 10 s by default). */
  leaseRenewIntervalMs?: number;
  /** Writes in flight at once. */
  concurrency?: number;
  podWorkers?: number;
}

export interface SimChild {
  proc: ChildProcess;
  pid: number;
  registrationMs: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the fleet in a child process and resolves once every node is registered. */
export async function startSimChild(opts: SimChildOptions, readyTimeoutMs = 600_000): Promise<SimChild> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d: Buffer) => (out += d.toString());
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  try {
    const registrationMs = await new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`simulated nodes not ready in time:\n${out.slice(-2000)}`)), readyTimeoutMs);
      const check = () => {
        const m = /sim ready \d+ (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          proc.off('exit', onExit);
          res(Number(m[1]));
        }
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        rej(new Error(`simulator exited with ${code}:\n${out.slice(-2000)}`));
      };
      proc.stdout!.on('data', check);
      proc.once('exit', onExit);
    });
    return { proc, pid: proc.pid!, registrationMs, output: () => out, stop: () => stopProcess(proc) };
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as SimChildOptions;
  const client = await ApiClient.fromKubeconfig(opts.kubeconfig);
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  await startSimulatedNodes(
    client,
    {
      nodes: opts.nodes,
      namePrefix: opts.namePrefix ?? 'sim-',
      zones: opts.zones ?? 3,
      leaseRenewIntervalMs: opts.leaseRenewIntervalMs ?? 10_000,
      concurrency: opts.concurrency ?? 16,
      podWorkers: opts.podWorkers ?? 16,
      logger: createLogger('warn'),
      onReady: ({ nodes, registrationMs }) => process.stdout.write(`sim ready ${nodes.length} ${Math.round(registrationMs)}\n`),
    },
    stop.signal,
  );
  client.close();
}

if (isMain(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
