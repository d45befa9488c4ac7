/**
 * The records of one host-runtime instance (process or sandbox): its pod sandboxes and
 * containers, in memory and in the state store (process/state-store.ts), and the CRI verbs that
 * are bookkeeping only: the sandbox's life with its network (sandbox-network.ts), the checks and
 * record of CreateContainer, the one-at-a-time guard of StartContainer and its failure, removal,
 * status and lists. The state changes themselves are container-transitions.ts; what runs a
 * container is the runtime's, told through the hooks each verb takes.
 *
 * The table also holds the instance's life: its state is read once, on the first call (`ready`),
 * and every call fails with Unavailable once the runtime is closed.
 */
import type { Logger } from '../../util/logger.js';
import type { PodNetwork } from '../network/pod-network.js';
import {
  createContainerError,
  listContainerStatuses,
  listSandboxStatuses,
  markStartFailed,
  newContainerRecord,
  startContainerError,
} from './container-transitions.js';
import { StateStore, containerStatus, errorMessage, newId, sandboxStatus, type ContainerRecord, type SandboxRecord } from './process/state-store.js';
import { RuntimeError, type ContainerConfig, type ContainerStatus, type PodSandboxConfig, type PodSandboxStatus } from './runtime.js';
import { attachSandboxNetwork, checkSandboxNetworks, detachSandboxNetwork } from './sandbox-network.js';

export interface ContainerTableOptions {
  /** `process` or `sandbox`: names the runtime in errors. */
  runtimeName: string;
  store: StateStore;
  logger: Logger;
  /** Bridge mode: sandboxes that do not share the node's network get their own. */
  network?: PodNetwork;
  /** Reads the runtime's state (through `load` below, plus its own); run once by `ready`. */
  load: () => Promise<void>;
  /** The part of a container id that must be unique among the runtime's containers (default: all of it). */
  idKey?: (id: string) => string;
}

/** What CreateContainer needs from the runtime. */
export interface CreateHooks {
  /** Why the runtime cannot run `config` at all; undefined if it can. */
  configError: (config: ContainerConfig) => string | undefined;
  /** Lays out the container's state directory (FIFOs and the like) before its record is saved. */
  prepare: (rec: ContainerRecord) => Promise<void>;
}

export class ContainerTable {
  readonly runtimeName: string;
  readonly store: StateStore;
  readonly log: Logger;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly starting = new Set<string>();
  private loading: Promise<void> | undefined;
  private isClosed = false;

  constructor(private readonly opts: ContainerTableOptions) {
    this.runtimeName = opts.runtimeName;
    this.store = opts.store;
    this.log = opts.logger;
  }

  // ---- the instance's life ----

  get closed(): boolean {
    return this.isClosed;
  }

  /** Marks the runtime closed; false when it already was. */
  close(): boolean {
    if (this.isClosed) return false;
    this.isClosed = true;
    return true;
  }

  /** Resolves once the state was read; a failed read is tried again by the next call. */
  ready(): Promise<void> {
    if (this.isClosed) return Promise.reject(new RuntimeError('Unavailable', `the ${this.runtimeName} runtime is closed`));
    this.loading ??= this.opts.load().catch((err) => {
      this.loading = undefined;
      throw new RuntimeError('Unavailable', `cannot read the ${this.runtimeName} runtime's state in ${this.store.rootDir}: ${errorMessage(err)}`);
    });
    return this.loading;
  }

  /** Reads every record from the store into the table and checks the sandboxes' networks. */
  async load(): Promise<{ sandboxes: SandboxRecord[]; containers: ContainerRecord[] }> {
    await this.store.init();
    const loaded = await this.store.load((file, err) => this.log.warn('skipping unreadable runtime state', { file, error: errorMessage(err) }));
    for (const s of loaded.sandboxes) this.sandboxes.set(s.id, s);
    for (const c of loaded.containers) this.containers.set(c.id, c);
    await checkSandboxNetworks(this.opts.network, loaded.sandboxes, (msg, fields) => this.log.warn(msg, fields));
    return loaded;
  }

  // ---- sandboxes ----

  sandbox(id: string): SandboxRecord | undefined {
    return this.sandboxes.get(id);
  }

  /** RunPodSandbox: the record, its network, and `prepare` (the runtime's own files) before it is saved. */
  async runSandbox(config: PodSandboxConfig, prepare?: (rec: SandboxRecord) => Promise<void>): Promise<string> {
    const rec: SandboxRecord = { id: newId(), config: structuredClone(config), state: 'SANDBOX_READY', createdAt: Date.now() };
    await attachSandboxNetwork(this.opts.network, rec);
    try {
      await this.persist(async () => {
        await prepare?.(rec);
        await this.store.saveSandbox(rec);
      }, `cannot record pod sandbox ${config.metadata.namespace}/${config.metadata.name}`);
    } catch (err) {
      await detachSandboxNetwork(this.opts.network, rec).catch(() => {});
      throw err;
    }
    this.sandboxes.set(rec.id, rec);
    return rec.id;
  }

  /** StopPodSandbox: kills its containers (through `stopContainer`) and gives its network back; idempotent. */
  async stopSandbox(id: string, stopContainer: (id: string) => Promise<void>): Promise<void> {
    await Promise.all(this.containersOf(id).map((c) => stopContainer(c.id)));
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    const released = await detachSandboxNetwork(this.opts.network, rec);
    if (rec.state === 'SANDBOX_NOTREADY' && !released) return;
    rec.state = 'SANDBOX_NOTREADY';
    await this.persist(() => this.store.saveSandbox(rec), `cannot record pod sandbox ${id}`);
  }

  /** RemovePodSandbox: removes its containers, its network, `cleanup` (the runtime's own) and its record; idempotent. */
  async removeSandbox(id: string, removeContainer: (id: string) => Promise<void>, cleanup?: (rec: SandboxRecord) => Promise<void>): Promise<void> {
    await Promise.all(this.containersOf(id).map((c) => removeContainer(c.id)));
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    await detachSandboxNetwork(this.opts.network, rec);
    await this.persist(async () => {
      await cleanup?.(rec);
      await this.store.removeSandbox(id);
    }, `cannot remove pod sandbox ${id}`);
    this.sandboxes.delete(id);
  }

  sandboxStatus(id: string): PodSandboxStatus | undefined {
    const rec = this.sandboxes.get(id);
    return rec && sandboxStatus(rec);
  }

  listSandboxes(): PodSandboxStatus[] {
    return listSandboxStatuses(this.sandboxes.values());
  }

  // ---- containers ----

  container(id: string): ContainerRecord | undefined {
    return this.containers.get(id);
  }

  /** The container's record; RuntimeError('NotFound') when there is none. */
  mustGet(id: string): ContainerRecord {
    const rec = this.containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    return rec;
  }

  /** Whether `rec` is (still) the table's record of its container. */
  holds(rec: ContainerRecord): boolean {
    return this.containers.get(rec.id) === rec;
  }

  containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  /** CreateContainer: checks, a new record, the runtime's state directory, then the saved record. */
  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig, hooks: CreateHooks): Promise<string> {
    const refused = createContainerError({ sandboxId, sandbox: this.sandboxes.get(sandboxId), config, podSandbox: sandbox, siblings: this.containersOf(sandboxId), configError: hooks.configError });
    if (refused) throw refused;
    const rec = newContainerRecord(this.newContainerId(), sandboxId, config, sandbox, Date.now());
    try {
      await this.store.createContainerDir(rec.id);
      await hooks.prepare(rec);
      await this.store.saveContainer(rec);
    } catch (err) {
      await this.store.removeContainer(rec.id).catch(() => {});
      throw new RuntimeError('CreateContainerError', `cannot create container "${config.metadata.name}": ${errorMessage(err)}`);
    }
    this.containers.set(rec.id, rec);
    return rec.id;
  }

  /** StartContainer: runs `start` on a created container, one start at a time. */
  async startContainer(id: string, start: (rec: ContainerRecord) => Promise<void>): Promise<void> {
    const rec = this.mustGet(id);
    const refused = startContainerError(rec, this.starting.has(id));
    if (refused) throw refused;
    this.starting.add(id);
    try {
      await start(rec);
    } finally {
      this.starting.delete(id);
    }
  }

  /** Records a failed start (StartError) and throws it as a RunContainerError. */
  async failStart(rec: ContainerRecord, why: string): Promise<never> {
    const message = markStartFailed(rec, why, Date.now());
    await this.save(rec);
    throw new RuntimeError('RunContainerError', message);
  }

  /**
   * RemoveContainer's bookkeeping, for a container that no longer runs: `cleanup` (the runtime's
   * own) and the state directory, then the record leaves the table (it stays when that failed,
   * so that the removal can be tried again).
   */
  async removeContainer(rec: ContainerRecord, cleanup?: (rec: ContainerRecord) => Promise<void>): Promise<void> {
    await this.persist(async () => {
      await cleanup?.(rec);
      await this.store.removeContainer(rec.id);
    }, `cannot remove container ${rec.id}`);
    this.containers.delete(rec.id);
  }

  containerStatus(id: string): ContainerStatus | undefined {
    const rec = this.containers.get(id);
    return rec && containerStatus(rec);
  }

  listContainers(filter?: { sandboxId?: string }): ContainerStatus[] {
    return listContainerStatuses(this.containers.values(), filter);
  }

  // ---- persistence ----

  /** Saves the record; a failure is logged (the record in memory stays right). */
  save(rec: ContainerRecord): Promise<void> {
    return this.store.saveContainer(rec).catch((err) => this.logError(rec, 'state', err));
  }

  /** Runs a state change that the call must fail with (as Unavailable) when it fails. */
  async persist(op: () => Promise<void>, what: string): Promise<void> {
    try {
      await op();
    } catch (err) {
      throw new RuntimeError('Unavailable', `${what}: ${errorMessage(err)}`);
    }
  }

  logError(rec: ContainerRecord, what: string, err: unknown): void {
    this.log.warn(`container ${what} error`, { id: rec.id, name: rec.config.metadata.name, error: errorMessage(err) });
  }

  private newContainerId(): string {
    let id = newId();
    const key = this.opts.idKey;
    if (!key) return id;
    while ([...this.containers.keys()].some((k) => key(k) === key(id))) id = newId();
    return id;
  }
}
