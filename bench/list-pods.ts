/**
 * Benchmark 4: LIST of 10,000 pods in one namespace. The pods (small, realistic specs) are created
 * through the API first; then a full `GET /api/v1/namespaces/x/pods` is timed until its last byte,
 * as JSON and as a server-side Table (what `kubectl get pods` asks for). Each response is parsed and
 * its item/row count checked after the timer stops.
 *
 * Run: npm run build && node dist/bench/list-pods.js [--pods 10000] [--repeats 7] [--store sqlite|memory]
 */
import { parseArgs } from 'node:util';
import { Connection, runClosedLoop } from './lib/client.js';
import { benchPod, namespace } from './lib/fixtures.js';
import { isMain } from './lib/main.js';
import { cpuWindow, fmtShare, type CpuShare } from './lib/cpu.js';
import { startServer, stopAll } from './lib/server.js';
import { fmt, msSince, passFail, printTable, summarize, type Summary, printMachine } from './lib/stats.js';

const goalMs = 300;
const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export interface ListResult {
  store: string;
  pods: number;
  createMs: number;
  json: Summary & Timed;
  table: Summary & Timed;
}

interface Timed {
  times: number[];
  bytes: number;
  cpu: CpuShare;
}

async function timedList(conn: Connection, serverPid: number, path: string, accept: string, expect: number, repeats: number): Promise<Timed> {
  const times: number[] = [];
  let bytes = 0;
  const window = cpuWindow(serverPid);
  // One unmeasured request first, so every measured one runs on warm code paths.
  for (let i = 0; i <= repeats; i++) {
    const t0 = process.hrtime.bigint();
    const res = await conn.request('GET', path, undefined, { Accept: accept }, 120_000);
    const ms = msSince(t0);
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    const doc = JSON.parse(res.body.toString('utf8')) as { items?: unknown[]; rows?: unknown[] };
    const count = (doc.items ?? doc.rows ?? []).length;
    if (count !== expect) throw new Error(`GET ${path} (${accept}): ${count} entries, expected ${expect}`);
    bytes = res.body.length;
    if (i > 0) times.push(ms);
  }
  return { times, bytes, cpu: window() };
}

export async function listPods(pods: number, repeats: number, datastore?: string): Promise<ListResult> {
  const srv = await startServer({ datastore });
  try {
    const conn = new Connection(srv);
    await conn.json('POST', '/api/v1/namespaces', namespace('x'));
    let seq = 0;
    const t0 = process.hrtime.bigint();
    const created = await runClosedLoop(srv, 16, 600_000, () => (seq < pods ? { method: 'POST', path: '/api/v1/namespaces/x/pods', body: JSON.stringify(benchPod(`web-${seq++}`)) } : undefined), []);
    const createMs = msSince(t0);
    if (created.ok !== pods) throw new Error(`created ${created.ok} of ${pods} pods (${created.errors} errors; ${created.firstError ?? ''})`);
    const path = '/api/v1/namespaces/x/pods';
    const json = await timedList(conn, srv.pid, path, 'application/json', pods, repeats);
    const table = await timedList(conn, srv.pid, path, tableAccept, pods, repeats);
    conn.close();
    return { store: datastore ?? 'sqlite', pods, createMs, json: { ...json, ...summarize(json.times) }, table: { ...table, ...summarize(table.times) } };
  } finally {
    await srv.stop();
  }
}

export function reportList(results: ListResult[]): void {
  process.stdout.write(`\n## LIST of all pods in one namespace\n\n`);
  const rows: string[][] = [];
  for (const r of results) {
    process.stdout.write(`${r.store}: created ${r.pods} pods in ${fmt(r.createMs / 1000, 1)} s\n`);
    for (const [what, s] of [['JSON', r.json], ['Table', r.table]] as const) {
      rows.push([r.store, `${r.pods} pods as ${what}`, `${(s.bytes / 1e6).toFixed(1)} MB`, `${fmt(s.min, 0)} ms`, `${fmt(s.median, 0)} ms`, `${fmt(s.max, 0)} ms`, fmtShare(s.cpu), `≤ ${goalMs} ms`, passFail(s.median <= goalMs)]);
    }
  }
  process.stdout.write('\n');
  printTable(['store', 'list', 'size', 'min', 'median', 'max', 'CPU server / bench / other', 'goal', 'result'], rows);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { pods: { type: 'string', default: '10000' }, repeats: { type: 'string', default: '7' }, store: { type: 'string', default: 'sqlite' } },
  });
  const pods = Math.max(1, Math.min(100_000, Number(values.pods)));
  const repeats = Math.max(1, Math.min(50, Number(values.repeats)));
  await printMachine();
  try {
    const results: ListResult[] = [];
    for (const store of values.store!.split(',')) results.push(await listPods(pods, repeats, store === 'memory' ? 'memory://' : undefined));
    reportList(results);
  } finally {
    await stopAll();
  }
}
