/**
 * Shared pieces of the examples' end-to-end tests: where the examples are, applying one with the
 * real `kubectl apply -k`, and a steady request stream that counts what it got (for rollouts and
 * scaling under traffic).
 */
import { Worker } from 'node:worker_threads';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kc, type ServerHandle } from '../harness.js';

export const examplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../examples');

/** `kubectl apply -k examples/<name>`; returns kubectl's output. */
export function applyExample(server: ServerHandle, name: string, extra: string[] = []): string {
  return kc(server, ['apply', '-k', join(examplesDir, name), ...extra]);
}

/** `kubectl apply -f examples/<name>/<file>`. */
export function applyFile(server: ServerHandle, name: string, file: string): string {
  return kc(server, ['apply', '-f', join(examplesDir, name, file)]);
}

/** kubectl's JSON output of `args` (with `-o json` added). */
export function kjson<T = any>(server: ServerHandle, args: string[]): T {
  return JSON.parse(kc(server, [...args, '-o', 'json'])) as T;
}

export { httpRequest, type HttpAnswer } from '../../support/http-request.js';

export interface StreamResult {
  ok: number;
  failed: number;
  errors: string[];
  /** Successful answers by the `version` field of their JSON body. */
  versions: Record<string, number>;
  /** Successful answers by the `pod` field of their JSON body. */
  pods: Record<string, number>;
}

/**
 * A steady stream of POST /predict requests to `url` (one at a time, each on a new connection,
 * `gapMs` apart) until `stop()` is called; a request fails on a connection error, a timeout or a
 * status other than 200. The stream runs on a worker thread: the tests run kubectl synchronously
 * (`kc`), which blocks this thread for seconds (`rollout status`), and a request timed here would
 * then time out on an answer that had arrived. `result` follows the worker's counts.
 */
export function requestStream(url: string, gapMs = 20): { stop(): Promise<StreamResult>; result: StreamResult } {
  const result: StreamResult = { ok: 0, failed: 0, errors: [], versions: {}, pods: {} };
  const worker = new Worker(new URL('./request-stream-worker.js', import.meta.url), { workerData: { url, gapMs } });
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { result: StreamResult; final?: boolean }) => {
      Object.assign(result, m.result);
      if (m.final) resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the request stream's worker exited with ${code}`)));
  });
  done.catch(() => undefined); // reported by stop()
  return {
    result,
    async stop() {
      worker.postMessage('stop');
      await done;
      await worker.terminate();
      return result;
    },
  };
}
