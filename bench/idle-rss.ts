/**
 * Benchmark 2: resident memory of an idle `capstan server` process (the node process itself, read
 * from /proc) a few seconds after it reported ready, with no client traffic. Each run starts a
 * server on a fresh data dir, then restarts it on that data dir. The goal is in MB (10^6 bytes).
 *
 * Run: npm run build && node dist/bench/idle-rss.js [--runs 3] [--idle-seconds 5]
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMain } from './lib/main.js';
import { newDataDir, rssBytes, startServer, stopAll } from './lib/server.js';
import { passFail, printTable, summarize, printMachine } from './lib/stats.js';

const goalMiB = 80;
const mib = (b: number) => b / (1024 * 1024);

export interface IdleRssResult {
  store: string;
  /** MiB, one per run: first start on a fresh data dir (generates the CA and certificates). */
  fresh: number[];
  /** MiB, one per run: the restart on that same data dir. */
  existing: number[];
}

async function idleSample(dataDir: string, idleSeconds: number, datastore?: string): Promise<number> {
  const srv = await startServer({ dataDir, datastore });
  try {
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    return mib(rssBytes(srv.pid));
  } finally {
    await srv.stop();
  }
}

export async function idleRss(runs: number, idleSeconds: number, datastore?: string): Promise<IdleRssResult> {
  const fresh: number[] = [];
  const existing: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = newDataDir();
    try {
      fresh.push(await idleSample(dir, idleSeconds, datastore));
      existing.push(await idleSample(dir, idleSeconds, datastore));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { store: datastore ?? 'sqlite (default)', fresh, existing };
}

export function reportIdleRss(results: IdleRssResult[], idleSeconds: number): void {
  process.stdout.write(`\n## Idle RSS of the server process, ${idleSeconds} s after ready\n\n`);
  printTable(
    ['store', 'data dir', 'min', 'median', 'max', 'goal', 'result'],
    results.flatMap((r) =>
      (['fresh', 'existing'] as const).map((which) => {
        const s = summarize(r[which]);
        const mb = s.median * 1.048576;
        return [r.store, which, `${s.min.toFixed(1)} MiB`, `${s.median.toFixed(1)} MiB (${mb.toFixed(1)} MB)`, `${s.max.toFixed(1)} MiB`, `≤ ${goalMiB} MB`, passFail(mb <= goalMiB)];
      }),
    ),
  );
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'idle-seconds': { type: 'string', default: '5' } } });
  const runs = Math.max(1, Math.min(20, Number(values.runs)));
  const idle = Math.max(0, Math.min(60, Number(values['idle-seconds'])));
  await printMachine();
  try {
    reportIdleRss([await idleRss(runs, idle), await idleRss(runs, idle, 'memory://')], idle);
  } finally {
    await stopAll();
  }
}
