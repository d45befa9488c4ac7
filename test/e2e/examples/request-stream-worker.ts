/**
 * The worker thread behind support.ts's requestStream: POSTs a prediction to `url` again and again
 * (each on a new connection, `gapMs` apart), posting the running counts after each answer, until
 * told to stop; then it posts the final counts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { httpRequest } from '../../support/http-request.js';
import type { StreamResult } from './support.js';

const { url, gapMs } = workerData as { url: string; gapMs: number };
const result: StreamResult = { ok: 0, failed: 0, errors: [], versions: {}, pods: {} };
let stopped = false;
parentPort!.on('message', () => (stopped = true));

while (!stopped) {
  try {
    const r = await httpRequest(url, { body: JSON.stringify({ features: [1, 0.5, 2, 0.1] }) });
    if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.slice(0, 200)}`);
    const out = JSON.parse(r.body) as { version?: string; pod?: string };
    result.ok++;
    result.versions[out.version ?? '?'] = (result.versions[out.version ?? '?'] ?? 0) + 1;
    result.pods[out.pod ?? '?'] = (result.pods[out.pod ?? '?'] ?? 0) + 1;
  } catch (err) {
    result.failed++;
    if (result.errors.length < 20) result.errors.push((err as Error).message);
  }
  parentPort!.postMessage({ result });
  await new Promise((r) => setTimeout(r, gapMs));
}
parentPort!.postMessage({ result, final: true });
