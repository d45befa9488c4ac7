/**
 * Runs the scheduler as an API client (DESIGN.md §2.1): informers for pods, nodes and what the
 * plugins read (PVCs, PVs, StorageClasses, PDBs, PriorityClasses, Namespaces) feed the Scheduler;
 * scheduling starts once they have synced and stops when the signal aborts.
 */
import { setMaxListeners } from 'node:events';
import type { Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { ApiObject } from '../api/object.js';
import type { ApiClient } from '../client/api-client.js';
import { byNamespace, namespaceIndex } from '../client/cache.js';
import type { Clock } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import { listWatcherFor } from '../client/list-watch.js';
import type { Logger } from '../util/logger.js';
import { ApiSchedulerBackend } from './api-backend.js';
import type { SchedulerConfiguration } from './config/types.js';
import { EventRecorder } from './event-recorder.js';
import type { ClusterEvent, ClusterListers } from './framework/interface.js';
import { Scheduler } from './scheduler.js';

const r = (group: string, version: string, plural: string, namespaced: boolean) => ({ group, version, plural, namespaced });
const resources = {
  pods: r('', 'v1', 'pods', true),
  nodes: r('', 'v1', 'nodes', false),
  namespaces: r('', 'v1', 'namespaces', false),
  pvcs: r('', 'v1', 'persistentvolumeclaims', true),
  pvs: r('', 'v1', 'persistentvolumes', false),
  storageClasses: r('storage.k8s.io', 'v1', 'storageclasses', false),
  pdbs: r('policy', 'v1', 'poddisruptionbudgets', true),
  priorityClasses: r('scheduling.k8s.io', 'v1', 'priorityclasses', false),
};

export interface StartSchedulerOptions {
  config?: SchedulerConfiguration;
  logger?: Logger;
  signal: AbortSignal;
  clock?: Clock;
}

/** The informers and listers a scheduler runs on. */
export class SchedulerInformers {
  readonly pods: Informer<ApiObject>;
  readonly nodes: Informer<ApiObject>;
  readonly namespaces: Informer<ApiObject>;
  readonly pvcs: Informer<ApiObject>;
  readonly pvs: Informer<ApiObject>;
  readonly storageClasses: Informer<ApiObject>;
  readonly pdbs: Informer<ApiObject>;
  readonly priorityClasses: Informer<ApiObject>;
  readonly listers: ClusterListers & { namespaceLabels(ns: string): Record<string, string> | undefined };

  constructor(client: ApiClient, logger?: Logger, clock?: Clock) {
    const mk = (name: keyof typeof resources, namespaced = false) =>
      new Informer<ApiObject>(listWatcherFor(client, resources[name]), { name, logger, clock, indexers: namespaced ? { [namespaceIndex]: byNamespace } : undefined });
    this.pods = mk('pods');
    this.nodes = mk('nodes');
    this.namespaces = mk('namespaces');
    this.pvcs = mk('pvcs');
    this.pvs = mk('pvs');
    this.storageClasses = mk('storageClasses');
    this.pdbs = mk('pdbs', true);
    this.priorityClasses = mk('priorityClasses');
    this.listers = {
      podDisruptionBudgets: (ns) => this.pdbs.byIndex(namespaceIndex, ns) as unknown as PodDisruptionBudget[],
      persistentVolumeClaim: (ns, name) => this.pvcs.get(`${ns}/${name}`) as unknown as PersistentVolumeClaim | undefined,
      persistentVolume: (name) => this.pvs.get(name) as unknown as PersistentVolume | undefined,
      persistentVolumes: () => this.pvs.list() as unknown as PersistentVolume[],
      storageClass: (name) => this.storageClasses.get(name) as unknown as StorageClass | undefined,
      priorityClass: (name) => this.priorityClasses.get(name) as unknown as PriorityClass | undefined,
      namespaceLabels: (ns) => (this.namespaces.get(ns) as unknown as Namespace | undefined)?.metadata?.labels,
    };
  }

  all(): Informer<ApiObject>[] {
    return [this.pods, this.nodes, this.namespaces, this.pvcs, this.pvs, this.storageClasses, this.pdbs, this.priorityClasses];
  }

  /** Routes informer events to the scheduler's handlers. */
  connect(s: Scheduler): void {
    const pod = (o: ApiObject) => o as unknown as Pod;
    const node = (o: ApiObject) => o as unknown as Node;
    this.pods.addEventHandler({ onAdd: (o) => s.onPodAdd(pod(o)), onUpdate: (a, b) => s.onPodUpdate(pod(a), pod(b)), onDelete: (o) => s.onPodDelete(pod(o)) });
    this.nodes.addEventHandler({ onAdd: (o) => s.onNodeAdd(node(o)), onUpdate: (a, b) => s.onNodeUpdate(node(a), node(b)), onDelete: (o) => s.onNodeDelete(node(o)) });
    const events = (add: ClusterEvent, update: ClusterEvent) => ({ onAdd: () => s.onClusterEvent(add), onUpdate: () => s.onClusterEvent(update) });
    this.pvcs.addEventHandler(events('PVCAdd', 'PVCUpdate'));
    this.pvs.addEventHandler(events('PVAdd', 'PVUpdate'));
    this.storageClasses.addEventHandler(events('StorageClassAdd', 'StorageClassAdd'));
  }
}

/**
 * Builds the scheduler (throwing InvalidSchedulerConfigError for a bad configuration, before
 * anything starts), then runs it until `opts.signal` aborts.
 */
export async function startScheduler(client: ApiClient, opts: StartSchedulerOptions): Promise<void> {
  const logger = opts.logger;
  const events = new EventRecorder(client, { logger, clock: opts.clock });
  const informers = new SchedulerInformers(client, logger, opts.clock);
  const scheduler = new Scheduler({
    config: opts.config,
    backend: new ApiSchedulerBackend(client, events),
    events,
    listers: informers.listers,
    clock: opts.clock,
    logger,
  });
  informers.connect(scheduler);
  // Eight informers and the loop listen for the abort: one inner signal without the listener warning.
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  const onAbort = () => inner.abort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (opts.signal.aborted) onAbort();
  const signal = inner.signal;
  const running = informers.all().map((i) => i.start(signal));
  try {
    const synced = await Promise.all(informers.all().map((i) => i.waitForSync(signal)));
    if (synced.every(Boolean) && !signal.aborted) {
      logger?.info('scheduler caches synced, scheduling', { profiles: [...scheduler.profiles.keys()] });
      await scheduler.run(signal);
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    await Promise.all(running);
    await events.flush();
  }
}
