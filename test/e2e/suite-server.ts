/**
 * One `capstan server` per `describe` block: `suiteServer()` registers the block's `before` hook
 * that starts it and the `after` hook that cleans up behind it, and returns a handle that `before`
 * fills in. The handle is a ServerHandle itself, so kc(), kubectl() and the examples' helpers take
 * it as they take startServer's; hooks the file registers after the call run after these.
 *
 * The suite owns the data dir, so that it survives restart(). `after` deletes what the tests made
 * (their containers outlive the agent by design), stops the server, kills any container left and
 * removes the data dir.
 */
import { after, before } from 'node:test';
import { killContainers, kubectl, removeDataDir, startServer, type ServerHandle, type StartOptions } from './harness.js';

export interface SuiteServerOptions extends Omit<StartOptions, 'dataDir' | 'keepDataDir'> {
  /**
   * Checked in `before`, ahead of the server: why the suite cannot run on this machine now, or
   * false. With a reason the server is not started and `skipped` holds it for the tests.
   */
  unavailable?: () => Promise<string | false>;
  /** Runs first in `after`, while the server still runs (not when it never started). */
  cleanUp?: (server: ServerHandle) => unknown;
  /** Kinds deleted after `cleanUp`, each with `kubectl delete <kind> --all --wait=true --timeout=60s`. */
  deleteAll?: string[];
}

export interface SuiteServer extends ServerHandle {
  /** Why `before` did not start the server (see `unavailable`), or false. */
  skipped: string | false;
  /** Stops the server and starts another on the same data dir with the same options. */
  restart(): Promise<void>;
}

export function suiteServer(opts: SuiteServerOptions = {}): SuiteServer {
  const { unavailable, cleanUp, deleteAll = [], ...start } = opts;
  let started = false;
  const handle = {
    skipped: false,
    async restart() {
      await handle.stop();
      Object.assign(handle, await startServer({ ...start, dataDir: handle.dataDir, keepDataDir: true }));
    },
  } as SuiteServer;
  before(async () => {
    handle.skipped = (await unavailable?.()) ?? false;
    if (handle.skipped) return;
    // startServer makes the data dir (after it holds the bridge lock, when it needs that).
    Object.assign(handle, await startServer({ ...start, keepDataDir: true }));
    started = true;
  });
  after(async () => {
    if (!started) return;
    await cleanUp?.(handle);
    for (const kind of deleteAll) kubectl(handle, ['delete', kind, '--all', '--wait=true', '--timeout=60s']);
    await handle.stop();
    if (start.agent) killContainers(handle.dataDir);
    removeDataDir(handle.dataDir);
  });
  return handle;
}
