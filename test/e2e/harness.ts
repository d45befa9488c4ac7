/**
 * End-to-end harness: starts a real `capstan server` on a free port with a temporary data dir and
 * drives it with the real kubectl. Every process it starts is stopped by `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeBridgeLock } from '../support/bridge-lock.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const capstanBin = join(repoRoot, 'bin', 'capstan.js');

export interface ServerHandle {
  url: string;
  dataDir: string;
  kubeconfig: string;
  proc: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  dataDir?: string;
  datastore?: string;
  extraArgs?: string[];
  keepDataDir?: boolean;
  /** Run the node agent (pods really run); off by default so tests see only the nodes they make. */
  agent?: boolean;
  /** The agent's container runtime (default `process`, which every machine can run). */
  runtime?: 'process' | 'sandbox';
  /** The agent's pod network (default `host`, so that tests behave alike on every machine). */
  network?: 'host' | 'bridge';
}

export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  // nftables-mode agents also take turns: the machine has one table of that name (ip capstan-proxy).
  const nftables = (opts.extraArgs ?? []).some((a, i, all) => (a === '--proxy-mode' && all[i + 1] === 'nftables') || a === '--proxy-mode=nftables');
  if (opts.agent && (opts.network === 'bridge' || nftables)) await holdBridgeLock();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'capstan-e2e-'));
  const args = [capstanBin, 'server', '--data-dir', dataDir, '--port', '0', '--log-level', process.env.CAPSTAN_E2E_LOG_LEVEL ?? 'warn'];
  if (opts.datastore) args.push('--datastore-endpoint', opts.datastore);
  args.push(...(opts.agent ? ['--agent-port', '0', '--node-name', 'capstan-e2e', '--container-runtime', opts.runtime ?? 'process', '--network', opts.network ?? 'host'] : ['--disable-agent']));
  // Host-mode agents of concurrent test servers would share 127.10.0.0/16 and fight over the same
  // ClusterIP listeners: each data dir gets its own loopback service range (stable across restarts).
  if (opts.agent && (opts.network ?? 'host') === 'host' && !(opts.extraArgs ?? []).includes('--service-cluster-ip-range')) {
    const octet = 20 + ([...dataDir].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 70);
    args.push('--service-cluster-ip-range', `127.${octet}.0.0/16`);
  }
  args.push(...(opts.extraArgs ?? []));
  // Without the in-process controllers nothing creates each namespace's `default` ServiceAccount,
  // so the ServiceAccount admission plugin would refuse every pod (as kube-apiserver does when no
  // controller-manager runs). Tests that run without them and create pods turn it off, unless they
  // choose their own plugins.
  if (args.includes('--disable-controller-manager') && !args.includes('--disable-admission-plugins')) args.push('--disable-admission-plugins', 'ServiceAccount');
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not become ready:\n${out}`)), 30_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      // A server that never came up leaves no data dir of ours behind (there is nothing to keep).
      if (!opts.dataDir) removeDataDir(dataDir);
      rej(new Error(`server exited with ${code}:\n${out}`));
    };
    const check = () => {
      const m = /ready at (https:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        proc.off('exit', onExit);
        res(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', onExit);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    url,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig.yaml'),
    proc,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      // Containers outlive the agent by design; a test's own must not outlive the test.
      if (opts.agent && !opts.keepDataDir) killContainers(dataDir);
      if (!opts.keepDataDir && !opts.dataDir) removeDataDir(dataDir);
      return code;
    },
  };
}

/**
 * Removes a test server's data dir. A sandbox container's root filesystem can stay busy for a
 * moment after runc killed it (its mount namespace is still going away): retry, as rmSync can.
 */
export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
}

/** Kills the process group of every container the agent under `dataDir` started. */
export function killContainers(dataDir: string): void {
  const root = join(dataDir, 'agent', 'runtime', 'containers');
  if (existsSync(join(dataDir, 'agent', 'sandbox-runtime'))) spawnSync('sh', ['-c', `for c in $(runc --root ${JSON.stringify(join(dataDir, 'agent', 'sandbox-runtime', 'runc'))} list -q 2>/dev/null); do runc --root ${JSON.stringify(join(dataDir, 'agent', 'sandbox-runtime', 'runc'))} delete -f $c; done`]);
  // Sandbox root filesystems are overlays over the host's `/`: unmount them before anyone deletes the dir.
  // A killed container's mounts can reappear for a moment (its mount namespace going away, or
  // mounts stacked on one path): unmount until none is left, a few passes at most.
  for (let pass = 0; pass < 20; pass++) {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dataDir}/`));
    if (!mounts.length) break;
    for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  deleteNetworkNamespaces(dataDir);
  if (!existsSync(root)) return;
  for (const id of readdirSync(root)) {
    try {
      const rec = JSON.parse(readFileSync(join(root, id, 'container.json'), 'utf8')) as { process?: { pid?: number } };
      if (rec.process?.pid) process.kill(-rec.process.pid, 'SIGKILL');
    } catch {
      // gone already, or no record
    }
  }
}

/** Deletes the network namespaces of the sandboxes the agent under `dataDir` recorded (bridge mode). */
function deleteNetworkNamespaces(dataDir: string): void {
  for (const runtime of ['runtime', 'sandbox-runtime']) {
    const dir = join(dataDir, 'agent', runtime, 'sandboxes');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      try {
        const rec = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { network?: { netnsPath?: string } };
        const ns = rec.network?.netnsPath;
        const name = ns?.split('/').pop();
        if (ns && existsSync(ns)) spawnSync('ip', ['netns', 'delete', name!]);
        // The process runtime's per-pod hosts and resolv.conf, which iproute2 mounts into the namespace.
        if (name) rmSync(join('/etc/netns', name), { recursive: true, force: true });
      } catch {
        // unreadable: nothing to clean
      }
    }
  }
}

/** Why this machine cannot run the e2e tests at all (no build, no kubectl), or false. */
export function e2eSkip(): string | false {
  if (!existsSync(capstanBin) || !existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) return 'needs the compiled server (npm run build)';
  if (!kubectlPath()) return 'needs kubectl';
  return false;
}

/** Why this machine cannot run bridge-mode servers (root, the CNI plugins, iproute2), or false. */
export function bridgeSkip(): string | false {
  const base = e2eSkip();
  if (base) return base;
  if (process.getuid?.() !== 0) return 'bridge networking needs root';
  const dirs = ['/usr/lib/cni', '/opt/cni/bin'];
  for (const p of ['bridge', 'host-local', 'loopback']) if (!dirs.some((d) => existsSync(join(d, p)))) return `bridge networking needs the CNI ${p} plugin`;
  if (spawnSync('ip', ['-V']).status !== 0) return 'bridge networking needs iproute2';
  return false;
}

/**
 * Bridge-mode servers share the machine's one bridge and its fixed pod and Service ranges (and
 * nftables-mode servers the proxy's one nftables table), so test files that start them take turns: the first such server of a test process takes a lock that the
 * process holds until it exits (a file may stop and restart its server), then deletes the bridge.
 * A lock whose holder died is taken over.
 */
let bridgeLockHeld = false;
async function holdBridgeLock(): Promise<void> {
  if (bridgeLockHeld) return;
  const release = await takeBridgeLock();
  bridgeLockHeld = true;
  process.once('exit', () => {
    // The bridge outlives its servers (as a CNI bridge does); the last user of the turn removes it.
    spawnSync('ip', ['link', 'delete', 'capstan0']);
    release();
  });
}

/** The kubectl binaries: the default dispatcher, and specific versions when installed beside it. */
export function kubectlPath(version?: string): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  if (!which) return undefined;
  if (!version) return which;
  const dir = dirname(realpathSync(which));
  const p = join(dir, `kubectl.${version}`);
  return existsSync(p) ? p : undefined;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(server: ServerHandle, args: string[], opts: { input?: string; bin?: string; timeoutMs?: number } = {}): KubectlResult {
  const bin = opts.bin ?? kubectlPath() ?? 'kubectl';
  const r = spawnSync(bin, ['--kubeconfig', server.kubeconfig, ...args], {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: server.dataDir, KUBECTL_KUBERC: 'false' },
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** kubectl that must succeed; returns stdout. */
export function kc(server: ServerHandle, args: string[], opts: { input?: string; bin?: string } = {}): string {
  const r = kubectl(server, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
