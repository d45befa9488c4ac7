/**
 * Runs the Store conformance suite against a real etcd started for this file on free loopback
 * ports with a temporary data dir. Skips (with the reason printed) when etcd is not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from './etcd.js';
import { runStoreConformance } from './store-conformance.js';
import { freePort } from '../../test/support/free-port.js';

const ETCD = process.env.CAPSTAN_ETCD_BIN ?? '/usr/bin/etcd';
const available = existsSync(ETCD);


let etcd: ChildProcess | undefined;
let dataDir: string | undefined;
let clientUrl = '';
let peerUrl = '';

/** Starts etcd (again, on the same data dir and ports once they are chosen) and resolves once it serves clients. */
async function startEtcd(): Promise<void> {
  if (!dataDir) {
    dataDir = mkdtempSync(join(tmpdir(), 'etcd-store-test-'));
    clientUrl = `http://127.0.0.1:${await freePort()}`;
    peerUrl = `http://127.0.0.1:${await freePort()}`;
  }
  const proc = spawn(
    ETCD,
    [
      '--name', 'capstan-test',
      '--data-dir', dataDir,
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `capstan-test=${peerUrl}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  etcd = proc;
  let log = '';
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (log.length < 65536) log += chunk;
      if (/ready to serve client requests/i.test(log)) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`etcd exited with ${code} before serving:\n${log}`)));
  });
}

async function killEtcd(): Promise<void> {
  const proc = etcd;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    proc.removeAllListeners('exit');
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }
}

async function stopEtcd(): Promise<void> {
  await killEtcd();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

if (!available) {
  test('etcd store', { skip: `${ETCD} not found (install Debian etcd-server to run these tests)` }, () => {});
} else {
  describe('etcd backend', () => {
    before(startEtcd);
    after(stopEtcd);

    let seq = 0;
    runStoreConformance('etcd', async () => {
      const store = new EtcdStore({ hosts: [clientUrl], prefix: `/test-${process.pid}-${++seq}`, compactIntervalMs: 0 });
      return { store, cleanup: () => store.close() };
    });

    test('keys live under the configured prefix and are isolated from other prefixes', async () => {
      const a = new EtcdStore({ hosts: [clientUrl], prefix: '/iso-a', compactIntervalMs: 0 });
      const b = new EtcdStore({ hosts: [clientUrl], prefix: '/iso-b', compactIntervalMs: 0 });
      try {
        await a.create('/pods/x', 'from-a');
        assert.equal(await b.get('/pods/x'), undefined);
        assert.equal(await b.count('/'), 0);
        assert.deepEqual((await a.list('/')).items.map((i) => i.key), ['/pods/x']);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('a watch survives an etcd restart without losing events', async () => {
      const s = new EtcdStore({ hosts: [clientUrl], prefix: '/restart', compactIntervalMs: 0 });
      const seen: string[] = [];
      let wake: (() => void) | undefined;
      let failure: unknown;
      const h = s.watch('/', await s.currentRevision(), {
        onEvents: (evs) => {
          seen.push(...evs.map((e) => `${e.type} ${e.key}`));
          wake?.();
        },
        onError: (err) => {
          failure = err;
          wake?.();
        },
      });
      const waitFor = async (n: number) => {
        while (seen.length < n && !failure) await new Promise<void>((r) => (wake = r));
        assert.equal(failure, undefined);
      };
      try {
        await s.create('/a', '1');
        await waitFor(1);
        await killEtcd();
        await startEtcd();
        await s.create('/b', '2');
        await waitFor(2);
        assert.deepEqual(seen, ['create /a', 'create /b']);
      } finally {
        h.close();
        await s.close();
      }
    });

    test('background compaction coordinates through compact_rev_key', async () => {
      let compacted!: (rev: number) => void;
      const done = new Promise<number>((r) => (compacted = r));
      const s = new EtcdStore({ hosts: [clientUrl], prefix: '/bgc', compactIntervalMs: 20, onCompaction: (rev) => compacted(rev) });
      try {
        await s.create('/k', 'v');
        const rev = await done;
        assert.ok(rev > 0);
        assert.ok((await s.compactedRevision()) >= rev);
      } finally {
        await s.close();
      }
    });
  });
}
