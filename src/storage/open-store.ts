/**
 * Chooses the storage backend from `--datastore-endpoint` (DESIGN.md §4):
 * - undefined or empty: SQLite at `<dataDir>/state.db`
 * - `sqlite://<path>`: SQLite at that path (relative paths resolve against the working directory)
 * - `memory://`: in-process memory (nothing persists)
 * - `etcd://host:port[,host2:port]`, or comma-separated `http://` / `https://` URLs: etcd
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StorageError, type Store } from './store.js';

export type StoreEndpoint =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'etcd'; hosts: string[] };

/** Parses an endpoint without opening anything; throws InvalidArgument for unknown forms. */
export function parseStoreEndpoint(endpoint: string | undefined, dataDir: string): StoreEndpoint {
  const ep = endpoint?.trim() ?? '';
  if (ep === '') return { kind: 'sqlite', path: join(dataDir, 'state.db') };
  if (ep === 'memory://' || ep === 'memory') return { kind: 'memory' };
  if (ep.startsWith('sqlite://')) {
    const path = ep.slice('sqlite://'.length);
    if (path === '') throw invalid(ep, 'sqlite:// needs a file path, e.g. sqlite:///var/lib/capstan/state.db');
    return { kind: 'sqlite', path: resolve(path) };
  }
  if (ep.startsWith('etcd://')) {
    const hosts = ep.slice('etcd://'.length).split(',').map((h) => h.trim()).filter((h) => h !== '');
    if (hosts.length === 0) throw invalid(ep, 'etcd:// needs at least one host:port');
    return { kind: 'etcd', hosts: hosts.map((h) => `http://${checkHostPort(ep, h)}`) };
  }
  if (/^https?:\/\//.test(ep)) {
    const hosts = ep.split(',').map((h) => h.trim()).filter((h) => h !== '');
    for (const h of hosts) {
      const m = /^(https?):\/\/([^/]+)\/?$/.exec(h);
      if (!m) throw invalid(ep, `"${h}" is not an etcd client URL (http://host:port or https://host:port)`);
      checkHostPort(ep, m[2]!);
    }
    return { kind: 'etcd', hosts: hosts.map((h) => h.replace(/\/$/, '')) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(ep)?.[1];
  throw invalid(ep, scheme ? `unknown scheme "${scheme}"` : 'not a URL');
}

/** Opens the store selected by `endpoint` (see parseStoreEndpoint). */
export async function openStore(endpoint: string | undefined, dataDir: string): Promise<Store> {
  const ep = parseStoreEndpoint(endpoint, dataDir);
  switch (ep.kind) {
    // Backends load on demand: the etcd client (gRPC) alone costs ~200 ms and ~25 MB at start.
    case 'memory': {
      const { MemoryStore } = await import('./memory.js');
      return new MemoryStore();
    }
    case 'sqlite': {
      const { SqliteStore } = await import('./sqlite.js');
      mkdirSync(dirname(ep.path), { recursive: true });
      return new SqliteStore({ path: ep.path });
    }
    case 'etcd': {
      const { EtcdStore } = await import('./etcd.js');
      const store = new EtcdStore({ hosts: ep.hosts });
      try {
        await store.currentRevision();
      } catch (e) {
        await store.close();
        throw new StorageError('Unavailable', `cannot reach etcd at ${ep.hosts.join(',')}: ${(e as Error).message}`);
      }
      return store;
    }
  }
}

function checkHostPort(ep: string, hostPort: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}$/.test(hostPort)) throw invalid(ep, `"${hostPort}" is not host:port`);
  return hostPort;
}

function invalid(ep: string, why: string): StorageError {
  return new StorageError(
    'InvalidArgument',
    `invalid datastore endpoint "${ep}": ${why} (expected memory://, sqlite://<path>, etcd://host:port[,host:port] or http(s)://host:port[,...])`,
  );
}
