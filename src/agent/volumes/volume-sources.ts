/**
 * The API objects pod volumes read (ConfigMaps, Secrets, PersistentVolumeClaims,
 * PersistentVolumes), from informers the agent starts only once one of its pods needs that kind:
 * one watch per kind for the whole node, however many pods refer to objects, where the kubelet
 * would watch each referenced object on its own. Changes to ConfigMaps and Secrets are passed on
 * so that the volumes built from them are rewritten.
 */
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { Clock } from '../../client/clock.js';
import { Informer } from '../../client/informer.js';
import { listWatcherFor } from '../../client/list-watch.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { Logger } from '../../util/logger.js';

export type SourceKind = 'configmaps' | 'secrets' | 'persistentvolumeclaims' | 'persistentvolumes';

const persistentVolumesRef: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false };

const refs: Record<SourceKind, ResourceRef> = {
  configmaps: builtinRefs.configmaps,
  secrets: builtinRefs.secrets,
  persistentvolumeclaims: builtinRefs.persistentvolumeclaims,
  persistentvolumes: persistentVolumesRef,
};

/** An object a volume reads: kind and `namespace/name`. */
export interface VolumeReference {
  kind: 'configmaps' | 'secrets';
  key: string;
}

/** The ConfigMaps and Secrets the given volumes read (configMap, secret and projected sources). */
export function volumeReferences(namespace: string, volumes: readonly Volume[]): VolumeReference[] {
  const out = new Map<string, VolumeReference>();
  const add = (kind: VolumeReference['kind'], name: string | undefined) => {
    if (!name) return;
    const ref = { kind, key: `${namespace}/${name}` };
    out.set(`${kind}:${ref.key}`, ref);
  };
  for (const v of volumes) {
    if (v.configMap) add('configmaps', v.configMap.name);
    if (v.secret) add('secrets', v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) add('configmaps', s.configMap.name);
      if (s.secret) add('secrets', s.secret.name);
    }
  }
  return [...out.values()];
}

/** The informers the given volumes need. */
export function sourceKinds(volumes: readonly Volume[]): SourceKind[] {
  const kinds = new Set<SourceKind>();
  for (const r of volumeReferences('', volumes)) kinds.add(r.kind);
  if (volumes.some((v) => v.persistentVolumeClaim)) {
    kinds.add('persistentvolumeclaims');
    kinds.add('persistentvolumes');
  }
  return [...kinds].sort();
}

export interface VolumeSourcesOptions {
  clock: Clock;
  logger: Logger;
  /** The agent's lifetime: informers stop with it. */
  signal: AbortSignal;
  /** An object was added, changed or deleted (after the first list); `key` is `namespace/name` or `name`. */
  onChange(kind: SourceKind, key: string): void;
}

export class VolumeSources {
  private readonly informers = new Map<SourceKind, Informer<ApiObject>>();
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly client: ApiClient,
    private readonly opts: VolumeSourcesOptions,
  ) {}

  /**
   * Starts the informers the pod's volumes need (once) and waits until they have listed, for at
   * most `timeoutMs` (a pod's sync must not hang on an API that does not answer); false if not.
   */
  async ensure(pod: Pod, signal: AbortSignal, timeoutMs = 5000): Promise<boolean> {
    const kinds = sourceKinds(pod.spec?.volumes ?? []);
    const informers = kinds.map((k) => this.informer(k));
    if (informers.every((i) => i.hasSynced())) return true;
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = this.opts.clock.setTimer(() => ac.abort(), timeoutMs);
    try {
      const synced = await Promise.all(informers.map((i) => i.waitForSync(ac.signal)));
      return synced.every(Boolean);
    } finally {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
    }
  }

  get<T>(kind: SourceKind, key: string): T | undefined {
    return this.informers.get(kind)?.get(key) as T | undefined;
  }

  /** Resolves once every started informer has stopped (after the agent's signal aborted). */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.running);
  }

  private informer(kind: SourceKind): Informer<ApiObject> {
    let inf = this.informers.get(kind);
    if (inf) return inf;
    inf = new Informer(listWatcherFor(this.client, refs[kind]), { name: `agent-${kind}`, clock: this.opts.clock, logger: this.opts.logger });
    this.informers.set(kind, inf);
    const changed = (o: ApiObject) => this.opts.onChange(kind, o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name ?? ''}` : (o.metadata.name ?? ''));
    inf.addEventHandler({ onAdd: (o, initial) => (initial ? undefined : changed(o)), onUpdate: (_o, n) => changed(n), onDelete: changed });
    this.running.push(inf.start(this.opts.signal));
    return inf;
  }
}
