/**
 * The process runtime's state on disk, so that a new runtime instance (a restarted agent) can
 * re-adopt everything:
 *
 *   <root>/sandboxes/<id>.json            one sandbox
 *   <root>/containers/<id>/container.json one container
 *   <root>/containers/<id>/stdout|stderr  the FIFOs its output goes through
 *   <root>/containers/<id>/stdin|stdin-close  its stdin FIFOs, if it has stdin (stdin-pipe.ts)
 *   <root>/containers/<id>/exit           its exit status, written by its wrapper
 *   <root>/containers/<id>/killed         present once the runtime sent it SIGKILL
 *
 * Records are written whole to a temporary file and renamed over the old one, one write at a
 * time per record, so a crash leaves either the old or the new version.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerConfig, ContainerState, ContainerStatus, PodSandboxConfig, PodSandboxStatus, SandboxState } from '../runtime.js';
import type { ProcessIdentity } from './proc.js';
import type { PodNetworkAttachment } from '../../network/pod-network.js';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  state: SandboxState;
  createdAt: number;
  /** Its own network namespace and addresses (bridge mode); absent when it shares the node's. */
  network?: PodNetworkAttachment;
  /** Set once the network was torn down (the sandbox was stopped). */
  networkReleased?: boolean;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  /** The sandbox's hostname when the container was created. */
  hostname: string;
  /** Absolute path of the live log file; '' when the container has none. */
  logPath: string;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The wrapper (session and group leader) while running. */
  process?: ProcessIdentity;
  /** Its stdin was closed for good (stdinOnce after the first attach). */
  stdinClosed?: boolean;
}

export class StateStore {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(readonly rootDir: string) {}

  async init(): Promise<void> {
    await mkdir(path.join(this.rootDir, 'sandboxes'), { recursive: true });
    await mkdir(path.join(this.rootDir, 'containers'), { recursive: true });
  }

  containerDir(id: string): string {
    return path.join(this.rootDir, 'containers', id);
  }

  fifoPath(id: string, stream: 'stdout' | 'stderr'): string {
    return path.join(this.containerDir(id), stream);
  }

  exitFile(id: string): string {
    return path.join(this.containerDir(id), 'exit');
  }

  killedMarker(id: string): string {
    return path.join(this.containerDir(id), 'killed');
  }

  /** Every readable record; `onSkip` hears of unreadable ones. */
  async load(onSkip: (file: string, err: unknown) => void): Promise<{ sandboxes: SandboxRecord[]; containers: ContainerRecord[] }> {
    const sandboxes: SandboxRecord[] = [];
    const containers: ContainerRecord[] = [];
    for (const name of await readdir(path.join(this.rootDir, 'sandboxes'))) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.rootDir, 'sandboxes', name);
      try {
        sandboxes.push(JSON.parse(await readFile(file, 'utf8')) as SandboxRecord);
      } catch (err) {
        onSkip(file, err);
      }
    }
    for (const name of await readdir(path.join(this.rootDir, 'containers'))) {
      const file = path.join(this.containerDir(name), 'container.json');
      try {
        containers.push(JSON.parse(await readFile(file, 'utf8')) as ContainerRecord);
      } catch (err) {
        onSkip(file, err);
      }
    }
    return { sandboxes, containers };
  }

  saveSandbox(r: SandboxRecord): Promise<void> {
    return this.serial(`s/${r.id}`, () => writeAtomic(path.join(this.rootDir, 'sandboxes', `${r.id}.json`), JSON.stringify(r)));
  }

  removeSandbox(id: string): Promise<void> {
    return this.serial(`s/${id}`, () => unlink(path.join(this.rootDir, 'sandboxes', `${id}.json`)).catch(ignoreMissing));
  }

  async createContainerDir(id: string): Promise<void> {
    await mkdir(this.containerDir(id), { recursive: true, mode: 0o700 });
  }

  saveContainer(r: ContainerRecord): Promise<void> {
    const snapshot = JSON.stringify(r);
    return this.serial(`c/${r.id}`, () => writeAtomic(path.join(this.containerDir(r.id), 'container.json'), snapshot));
  }

  removeContainer(id: string): Promise<void> {
    return this.serial(`c/${id}`, () => rm(this.containerDir(id), { recursive: true, force: true }));
  }

  /** Runs `op` after every earlier operation on `key`; the chain survives failures. */
  private serial(key: string, op: () => Promise<void>): Promise<void> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(op);
    const tail = run.catch(() => {});
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }
}

async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

/** A new sandbox or container id (64 hex digits, as the CRI's). */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A sandbox record as the CRI reports it (host network: no IPs of its own). */
export function sandboxStatus(rec: SandboxRecord): PodSandboxStatus {
  return { id: rec.id, metadata: { ...rec.config.metadata }, state: rec.state, createdAt: rec.createdAt, ips: [...(rec.network?.ips ?? [])], labels: { ...rec.config.labels }, annotations: { ...rec.config.annotations } };
}

/** A container record as the CRI reports it. */
export function containerStatus(rec: ContainerRecord): ContainerStatus {
  return {
    id: rec.id,
    sandboxId: rec.sandboxId,
    metadata: { ...rec.config.metadata },
    state: rec.state,
    image: rec.config.image,
    createdAt: rec.createdAt,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    exitCode: rec.exitCode,
    reason: rec.reason,
    message: rec.message,
    logPath: rec.logPath,
    labels: { ...rec.config.labels },
    annotations: { ...rec.config.annotations },
  };
}
