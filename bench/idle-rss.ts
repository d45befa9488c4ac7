/**
 * Benchmark 2: resident memory of an idle `capstan server` process (the node process itself, read
 * from /proc) a few seconds after it reported ready, with no client traffic beyond the start.
 *
 * Run: npm run build && node dist/bench/idle-rss.js [--runs 3] [--idle-seconds 5]
 */
import { parseArgs } from 'node:util';
import { isMain } from './lib/main.js';
import { rssBytes, startServer, stopAll } from './lib/server.js';
import { passFail, printTable, summarize, printMachine } from './lib/stats.js';

const goalMiB = 80;
const mib = (b: number) => b / (1024 * 1024);

export interface IdleRssResult {
  store: string;
  /** MiB, one per run. */
  samples: number[];
}

export async function idleRss(runs: number, idleSeconds: number, datastore?: string): Promise<IdleRssResult> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const srv = await startServer({ datastore });
    try {
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      samples.push(mib(rssBytes(srv.pid)));
    } finally {
      await srv.stop();
    }
  }
  return { store: datastore ?? 'sqlite (default)', samples };
}

export function reportIdleRss(results: IdleRssResult[], idleSeconds: number): void {
  process.stdout.write(`\n## Idle RSS of the server process, ${idleSeconds} s after ready\n\n`);
  printTable(
    ['store', 'min', 'median', 'max', 'goal', 'result'],
    results.map((r) => {
      const s = summarize(r.samples);
      return [r.store, `${s.min.toFixed(1)} MiB`, `${s.median.toFixed(1)} MiB`, `${s.max.toFixed(1)} MiB`, `≤ ${goalMiB} MB`, passFail(s.median <= goalMiB)];
    }),
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
