/**
 * Benchmark 5: watch fan-out. 100 watchers (each on its own HTTPS connection) watch ConfigMaps in
 * one namespace from the resourceVersion of a LIST; then 16 writers create 10,000 ConfigMaps. Every
 * watcher must receive exactly the 10,000 ADDED events, with strictly increasing resourceVersions
 * and every created name once. Reported: time until the writers finished and until the last
 * watcher had all events (both from the first create).
 *
 * Run: npm run build && node dist/bench/watch-fanout.js [--watchers 100] [--events 10000] [--store sqlite|memory]
 */
import { parseArgs } from 'node:util';
import { Connection, openWatch, runClosedLoop, type WatchEvent } from './lib/client.js';
import { benchConfigMap, namespace } from './lib/fixtures.js';
import { isMain } from './lib/main.js';
import { cpuWindow, fmtShare, type CpuShare } from './lib/cpu.js';
import { startServer, stopAll } from './lib/server.js';
import { fmt, msSince, passFail, printTable, summarize, type Summary, printMachine } from './lib/stats.js';

const timeoutMs = 300_000;

interface WatcherState {
  count: number;
  lastRv: bigint;
  names: Set<string>;
  problems: string[];
  doneAtMs?: number;
}

export interface FanoutResult {
  store: string;
  watchers: number;
  events: number;
  writeMs: number;
  allDeliveredMs: number;
  /** Per watcher: ms from first create to its last event. */
  perWatcher: Summary;
  complete: number;
  problems: string[];
  cpu: CpuShare;
}

export async function watchFanout(watchers: number, events: number, datastore?: string): Promise<FanoutResult> {
  const srv = await startServer({ datastore });
  const closers: { close(): void }[] = [];
  try {
    const conn = new Connection(srv);
    await conn.json('POST', '/api/v1/namespaces', namespace('w'));
    const list = await conn.json<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/w/configmaps');
    conn.close();
    const rv = list.metadata.resourceVersion;

    const states: WatcherState[] = [];
    let start = 0n;
    let remaining = watchers;
    let allDone!: () => void;
    const finished = new Promise<void>((r) => (allDone = r));
    const path = `/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=${Math.ceil(timeoutMs / 1000) + 60}`;
    for (let i = 0; i < watchers; i++) {
      const st: WatcherState = { count: 0, lastRv: 0n, names: new Set(), problems: [] };
      states.push(st);
      const onEvent = (ev: WatchEvent) => {
        if (st.doneAtMs !== undefined) {
          st.problems.push(`extra event ${ev.type} ${ev.object.metadata?.name}`);
          return;
        }
        const name = ev.object.metadata?.name ?? '';
        const evRv = BigInt(ev.object.metadata?.resourceVersion ?? '0');
        if (ev.type !== 'ADDED') st.problems.push(`unexpected ${ev.type} ${name}`);
        if (evRv <= st.lastRv) st.problems.push(`resourceVersion ${evRv} after ${st.lastRv}`);
        if (st.names.has(name)) st.problems.push(`duplicate ${name}`);
        st.lastRv = evRv;
        st.names.add(name);
        if (++st.count === events) {
          st.doneAtMs = msSince(start);
          if (--remaining === 0) allDone();
        }
      };
      const onEnd = (err?: Error) => {
        if (st.doneAtMs === undefined) st.problems.push(`watch ended after ${st.count} events${err ? `: ${err.message}` : ''}`);
      };
      closers.push(await openWatch(srv, path, onEvent, onEnd));
    }

    const window = cpuWindow(srv.pid);
    start = process.hrtime.bigint();
    let seq = 0;
    const w = await runClosedLoop(srv, 16, timeoutMs, () => (seq < events ? { method: 'POST', path: '/api/v1/namespaces/w/configmaps', body: JSON.stringify(benchConfigMap(`cm-${seq++}`)) } : undefined), []);
    const writeMs = msSince(start);
    if (w.ok !== events) throw new Error(`created ${w.ok} of ${events} (${w.errors} errors; ${w.firstError ?? ''})`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, timeoutMs - writeMs))))]);
    clearTimeout(timer);
    const allDeliveredMs = msSince(start);
    const cpu = window();

    const problems: string[] = [];
    states.forEach((st, i) => {
      if (st.count !== events) problems.push(`watcher ${i}: ${st.count} of ${events} events`);
      for (const p of st.problems.slice(0, 3)) problems.push(`watcher ${i}: ${p}`);
    });
    const done = states.filter((s) => s.doneAtMs !== undefined);
    return {
      store: datastore ?? 'sqlite',
      watchers,
      events,
      writeMs,
      allDeliveredMs,
      perWatcher: summarize(done.map((s) => s.doneAtMs!)),
      complete: done.length,
      problems,
      cpu,
    };
  } finally {
    for (const c of closers) c.close();
    await srv.stop();
  }
}

export function reportFanout(results: FanoutResult[]): void {
  process.stdout.write(`\n## Watch fan-out\n\n`);
  printTable(
    ['store', 'watchers × events', 'writes done', 'last watcher complete', 'per-watcher complete (min/median/max)', 'complete, in order', 'result'],
    results.map((r) => [
      r.store,
      `${r.watchers} × ${r.events}`,
      `${fmt(r.writeMs / 1000, 2)} s`,
      `${fmt(r.allDeliveredMs / 1000, 2)} s`,
      `${fmt(r.perWatcher.min / 1000, 2)} / ${fmt(r.perWatcher.median / 1000, 2)} / ${fmt(r.perWatcher.max / 1000, 2)} s`,
      `${r.complete}/${r.watchers}`,
      passFail(r.problems.length === 0 && r.complete === r.watchers),
    ]),
  );
  for (const r of results) {
    process.stdout.write(`${r.store}: CPU server / bench / other during the run: ${fmtShare(r.cpu)} (of one core; 2 cores = 200%)\n`);
    for (const p of r.problems.slice(0, 20)) process.stdout.write(`  problem: ${p}\n`);
    if (r.problems.length > 20) process.stdout.write(`  … ${r.problems.length - 20} more problems\n`);
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { watchers: { type: 'string', default: '100' }, events: { type: 'string', default: '10000' }, store: { type: 'string', default: 'sqlite' } },
  });
  const watchers = Math.max(1, Math.min(1000, Number(values.watchers)));
  const events = Math.max(1, Math.min(100_000, Number(values.events)));
  await printMachine();
  try {
    const results: FanoutResult[] = [];
    for (const store of values.store!.split(',')) results.push(await watchFanout(watchers, events, store === 'memory' ? 'memory://' : undefined));
    reportFanout(results);
  } finally {
    await stopAll();
  }
}
