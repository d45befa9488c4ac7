/**
 * HTTP load helpers for the networking benchmark: `wrk` runs and their parsed numbers, an `nginx`
 * reverse proxy in the foreground with a throw-away config, simple probes, and per-process CPU time
 * from /proc (a process with its descendants).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processCpuMs } from './cpu.js';
import { stopProcess } from './server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/** One GET on a new connection: the status and body, or status 0 when it failed. */
export function get(host: string, port: number, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

/** Polls `fn` until it is true, every `everyMs` (0: back to back), failing after `timeoutMs`. */
export async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (everyMs) await sleep(everyMs);
  }
}

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** Reads the numbers out of `wrk --latency` output. */
export function parseWrk(out: string): WrkResult {
  const lat = (pct: string) => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`no ${pct}% latency in wrk output:\n${out}`);
    return Number(m[1]) * unitMs[m[2]!]!;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const total = /^\s*(\d+) requests in/m.exec(out);
  if (!rps || !total) throw new Error(`unexpected wrk output:\n${out}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(non2xx?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps: Number(rps[1]), p50: lat('50'), p99: lat('99'), requests: Number(total[1]), errors };
}

export interface WrkSettings {
  threads: number;
  connections: number;
}

/** One `wrk --latency` run of `seconds` against `url`. */
export async function wrk(url: string, o: WrkSettings, seconds: number): Promise<WrkResult> {
  const proc = spawn('wrk', [`-t${o.threads}`, `-c${o.connections}`, `-d${seconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(proc, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  return parseWrk(out);
}

// nginx

export interface Nginx {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** nginx as a reverse proxy to `upstreamPort`: one worker, keep-alive to the upstream, no access log. */
export async function startNginx(upstreamHost: string, upstreamPort: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-nginx-'));
  mkdirSync(join(dir, 'tmp'));
  const port = await freePort();
  const conf = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  upstream backend { server ${upstreamHost}:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = async () => {
    await stopProcess(proc, 5000); // SIGTERM: nginx's fast shutdown, workers included
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until('nginx answering', async () => (await get('127.0.0.1', port)).status === 200, 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, proc, stop };
}

/** A process and all its descendants (nginx's master and worker; a container's wrapper and command). */
export function withDescendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // exited meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

/** CPU time (user + system) the processes have used so far, in ms; processes gone count 0. */
export function cpuOf(pids: number[]): number {
  return pids.reduce((sum, p) => {
    try {
      return sum + processCpuMs(p);
    } catch {
      return sum;
    }
  }, 0);
}
