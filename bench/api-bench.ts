/**
 * Runs every API server benchmark in sequence with its default settings and prints one Markdown
 * report (about 5 minutes on 2 cores). Each benchmark is also runnable on its own; see
 * BENCHMARKS.md.
 *
 * Run: npm run build && node dist/bench/api-bench.js
 */
import { coldStart, reportColdStart } from './cold-start.js';
import { createThroughput, reportCreate, type CreateResult } from './create-throughput.js';
import { idleRss, reportIdleRss } from './idle-rss.js';
import { isMain } from './lib/main.js';
import { stopAll } from './lib/server.js';
import { printMachine } from './lib/stats.js';
import { listPods, reportList } from './list-pods.js';
import { reportFanout, watchFanout } from './watch-fanout.js';

if (isMain(import.meta.url)) {
  await printMachine();
  try {
    reportColdStart(await coldStart(10));
    reportIdleRss([await idleRss(3, 5), await idleRss(3, 5, 'memory://')], 5);
    const creates: CreateResult[] = [];
    for (const ds of [undefined, 'memory://']) {
      for (const kind of ['configmaps', 'pods'] as const) {
        creates.push(await createThroughput(kind, ds, 10, 16));
        creates.push(await createThroughput(kind, ds, 10, 16, 500));
      }
    }
    reportCreate(creates, 16);
    reportList([await listPods(10_000, 7), await listPods(10_000, 7, 'memory://')]);
    reportFanout([await watchFanout(100, 10_000)]);
    await printMachine();
  } finally {
    await stopAll();
  }
}
