/**
 * Starts a real `capstan server` child process on loopback for a benchmark and stops it again.
 * The benchmark talks to it as any client would: over HTTPS with the admin kubeconfig's CA and
 * bearer token. Every process started here is stopped by `stop()`; `stopAll()` is the safety net
 * for a benchmark that fails half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

// Compiled to dist/bench/lib/, so the repository root is three levels up. CAPSTAN_BENCH_BIN points
// the benchmarks at another build's bin/capstan.js (e.g. a baseline checkout) for A/B comparisons.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const capstanBin = process.env.CAPSTAN_BENCH_BIN ? resolve(process.env.CAPSTAN_BENCH_BIN) : join(repoRoot, 'bin', 'capstan.js');

export interface Credentials {
  url: string;
  caPem: string;
  token: string;
}

export interface BenchServer extends Credentials {
  dataDir: string;
  proc: ChildProcess;
  pid: number;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Existing data dir to reuse; a fresh temporary one (removed on stop) when unset. */
  dataDir?: string;
  /** `--datastore-endpoint`, e.g. `memory://`; the default sqlite store when unset. */
  datastore?: string;
  port?: number;
  readyTimeoutMs?: number;
  /** Run the node agent inside the server (process runtime). */
  agent?: boolean;
  /** More `capstan server` flags, appended to the command line. */
  extraArgs?: string[];
}

const running = new Set<ChildProcess>();

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'capstan-bench-'));
}

/**
 * The server command line. The node agent is off unless asked for: the API, scheduler and
 * controller benchmarks measure the control plane (simulated nodes stand in for machines).
 */
export function serverArgs(dataDir: string, port: number, datastore?: string, agent = false): string[] {
  const args = [capstanBin, 'server', '--data-dir', dataDir, '--port', String(port), '--bind-address', '127.0.0.1', '--log-level', 'warn'];
  if (datastore) args.push('--datastore-endpoint', datastore);
  args.push(...(agent ? ['--agent-port', '0', '--container-runtime', 'process', '--network', 'host'] : ['--disable-agent']));
  return args;
}

/**
 * Extra node flags for the server process, from CAPSTAN_BENCH_NODE_ARGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=prof` to profile the server under a benchmark's load.
 */
function serverNodeArgs(): string[] {
  return (process.env.CAPSTAN_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}

/** Spawns the server; the caller owns the process and must stop it with stopProcess. */
export function spawnServer(args: string[]): ChildProcess {
  const proc = spawn(process.execPath, [...serverNodeArgs(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  return proc;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(proc: ChildProcess, graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => stopProcess(p)));
}

/** Reads the admin kubeconfig the server writes into its data dir. */
export function readCredentials(dataDir: string): Credentials {
  const kc = parseYaml(readFileSync(join(dataDir, 'kubeconfig.yaml'), 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const cluster = kc.clusters[0]!.cluster;
  return {
    url: cluster.server,
    caPem: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token: kc.users[0]!.user.token,
  };
}

/** Starts a server and waits for its "ready at" line. */
export async function startServer(opts: ServerOptions = {}): Promise<BenchServer> {
  const fresh = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? newDataDir();
  const proc = spawnServer([...serverArgs(dataDir, opts.port ?? 0, opts.datastore, opts.agent), ...(opts.extraArgs ?? [])]);
  let out = '';
  const onData = (d: Buffer) => (out += d.toString());
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  try {
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server not ready in time:\n${out}`)), opts.readyTimeoutMs ?? 30_000);
      const check = () => {
        if (/ready at https:\/\/\S+/.test(out)) {
          clearTimeout(timer);
          proc.off('exit', onExit);
          res();
        }
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        rej(new Error(`server exited with ${code}:\n${out}`));
      };
      proc.stdout!.on('data', check);
      proc.once('exit', onExit);
    });
  } catch (e) {
    await stopProcess(proc);
    if (fresh) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  // Keep draining output so a chatty server never blocks on a full pipe.
  return {
    ...readCredentials(dataDir),
    dataDir,
    proc,
    pid: proc.pid!,
    output: () => out,
    async stop() {
      await stopProcess(proc);
      if (fresh) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

