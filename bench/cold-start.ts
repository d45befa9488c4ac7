/**
 * Benchmark 1: cold start of `capstan server` until `/readyz` answers 200, measured from spawn.
 * "fresh" runs use a new data dir each time (CA, serving cert, token and the sqlite file are
 * created); "existing" runs reuse one data dir that a first, unmeasured start prepared.
 *
 * Run: npm run build && node dist/bench/cold-start.js [--runs 10]
 */
import { request } from 'node:https';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { newDataDir, serverArgs, spawnServer, startServer, stopAll, stopProcess } from './lib/server.js';
import { fmt, fmtSummary, msSince, passFail, printTable, summarize, printMachine } from './lib/stats.js';
import { otherLoadWindow } from './lib/cpu.js';
import { isMain } from './lib/main.js';

const goalMs = 1000;
const pollEveryMs = 10;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** One GET /readyz on a fresh socket; the status code, or 0 when nothing listens yet. */
function probe(port: number): Promise<number> {
  return new Promise((res) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', agent: false, rejectUnauthorized: false, timeout: 2000 }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(0));
    req.end();
  });
}

/** Spawns a server on a free port and polls /readyz; returns ms from spawn to the first 200. */
async function timeToReady(dataDir: string, timeoutMs = 30_000): Promise<number> {
  const port = await freePort();
  const start = process.hrtime.bigint();
  const proc = spawnServer(serverArgs(dataDir, port));
  proc.stdout!.resume();
  proc.stderr!.resume();
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode} before ready`);
      if ((await probe(port)) === 200) return msSince(start);
      if (msSince(start) > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollEveryMs));
    }
  } finally {
    await stopProcess(proc);
  }
}

export interface ColdStartResult {
  fresh: number[];
  existing: number[];
  /** CPU used by unrelated processes during the runs, % of one core. */
  otherPct: number;
}

export async function coldStart(runs: number): Promise<ColdStartResult> {
  const window = otherLoadWindow();
  const fresh: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = newDataDir();
    try {
      fresh.push(await timeToReady(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const dir = newDataDir();
  const existing: number[] = [];
  try {
    const first = await startServer({ dataDir: dir });
    await first.stop();
    for (let i = 0; i < runs; i++) existing.push(await timeToReady(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { fresh, existing, otherPct: window() };
}

export function reportColdStart(r: ColdStartResult): void {
  const f = summarize(r.fresh);
  const e = summarize(r.existing);
  process.stdout.write(`\n## Cold start to /readyz 200 (sqlite, ${f.n} runs each)\n`);
  process.stdout.write(`fresh data dir:    ${fmtSummary(f)}\nexisting data dir: ${fmtSummary(e)}\n`);
  process.stdout.write(`CPU used by other processes meanwhile: ${Math.round(r.otherPct)}% of one core\n\n`);
  printTable(
    ['benchmark', 'min', 'median', 'max', 'goal', 'result'],
    [
      ['cold start, fresh data dir', `${fmt(f.min, 0)} ms`, `${fmt(f.median, 0)} ms`, `${fmt(f.max, 0)} ms`, `≤ ${goalMs} ms median`, passFail(f.median <= goalMs)],
      ['cold start, existing data dir', `${fmt(e.min, 0)} ms`, `${fmt(e.median, 0)} ms`, `${fmt(e.max, 0)} ms`, `≤ ${goalMs} ms median`, passFail(e.median <= goalMs)],
    ],
  );
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
  const runs = Math.max(1, Math.min(100, Number(values.runs)));
  await printMachine();
  try {
    reportColdStart(await coldStart(runs));
  } finally {
    await stopAll();
  }
}
