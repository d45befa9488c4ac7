/**
 * One sync of one Deployment: the effects around the pure decisions of rollout-plan.ts and
 * deployment-status.ts, in the order of `pkg/controller/deployment/sync.go`, `rolling.go` and
 * `recreate.go`. A `DeploymentSync` works on its own copy of the Deployment and is thrown away
 * after the sync; cached objects are never mutated.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import { type ApiObject, deepCopy, jsonEqual } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import type { Lister } from '../../client/cache.js';
import type { Logger } from '../../util/logger.js';
import type { EventRecorder } from '../events.js';
import { getCondition, newCondition, pausedConditionStatus, reasons, rolloutStatus, calculateStatus, setCondition, stuckRequeueAfterMs, deploymentComplete } from './deployment-status.js';
import { computeHash, equalIgnoreHash } from './pod-template-hash.js';
import { newRSNewReplicas, oldPodsRunning, planNewReplicaSet, planOldReplicaSets, planScale, type ScaleOp } from './rollout-plan.js';
import {
  activeReplicaSets,
  byCreationTimestamp,
  byRevision,
  controllerOf,
  deploymentControllerRef,
  desiredReplicasAnnotation,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  intAnnotation,
  maxRevision,
  maxSurge,
  podTemplateHashLabel,
  replicasAnnotationsNeedUpdate,
  revisionAnnotation,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from './replica-set-util.js';
import { deploymentsResource, replicaSetsResource } from './resources.js';

export interface SyncDeps {
  client: ApiClient;
  recorder: EventRecorder;
  logger?: Logger;
  now: () => number;
  replicaSets: Lister<ReplicaSet & ApiObject>;
  signal: AbortSignal;
}

/** What a sync asks of the controller afterwards. */
export interface SyncOutcome {
  /** Look again after this long to notice a progress deadline. */
  requeueAfterMs?: number;
}

/** `CloneSelectorAndAddLabel`: the selector with `key=value` added to matchLabels. */
export function selectorWithLabel(sel: LabelSelector | undefined, key: string, value: string): LabelSelector {
  const out = deepCopy(sel ?? {});
  out.matchLabels = { ...(out.matchLabels ?? {}), [key]: value };
  return out;
}

export class DeploymentSync {
  readonly d: Deployment & ApiObject;
  /** The revision annotation and status the server holds, to write only what changed. */
  private serverRevision: string | undefined;
  private serverStatus: DeploymentStatus | undefined;

  constructor(
    private readonly deps: SyncDeps,
    cached: Deployment & ApiObject,
  ) {
    this.d = deepCopy(cached);
    this.d.apiVersion ??= 'apps/v1';
    this.d.kind ??= 'Deployment';
    this.serverRevision = cached.metadata.annotations?.[revisionAnnotation];
    this.serverStatus = deepCopy(cached.status);
  }

  private get ns(): string {
    return this.d.metadata.namespace ?? '';
  }

  // --- entry points (deployment_controller.go syncDeployment's branches) ---------------------------

  /** Status only, for a Deployment being deleted (`syncStatusOnly`). */
  async syncStatusOnly(rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  /** Scaling event or paused Deployment: proportional scaling, no rollout (`sync`). */
  async sync(rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
    await this.applyOps(planScale(this.d, newRS, oldRSs));
    if (this.d.spec?.paused) await this.cleanupDeployment(oldRSs);
    // Sizes changed above; the next sync (triggered by the RS updates) reads them from the cache.
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  /** Writes the DeploymentPaused / DeploymentResumed condition when spec.paused flipped (`checkPausedConditions`). */
  async checkPausedConditions(): Promise<void> {
    const s = pausedConditionStatus(this.d, this.deps.now());
    if (!s) return;
    this.d.status = s;
    await this.writeStatus();
  }

  /** A replicas annotation of an active RS disagrees with spec.replicas (`isScalingEvent`). */
  async isScalingEvent(rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
    for (const rs of activeReplicaSets([...oldRSs, newRS])) {
      const desired = intAnnotation(rs, desiredReplicasAnnotation);
      if (desired !== undefined && desired !== specReplicas(this.d)) return true;
    }
    return false;
  }

  /** One step of a rolling update (`rolloutRolling`). */
  async rolloutRolling(rsList: ReplicaSet[]): Promise<SyncOutcome> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, true);
    const nrs = newRS!;
    const allRSs = [...oldRSs, nrs];
    const up = planNewReplicaSet(this.d, allRSs, nrs);
    if (up) {
      await this.applyOps([up]);
      return this.syncRolloutStatus(allRSs, nrs);
    }
    const down = planOldReplicaSets(this.d, allRSs, activeReplicaSets(oldRSs), nrs);
    if (down.length > 0) {
      await this.applyOps(down);
      return this.syncRolloutStatus(allRSs, nrs);
    }
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanupDeployment(oldRSs);
    return this.syncRolloutStatus(allRSs, nrs);
  }

  /** One step of a Recreate rollout: old RSs to 0, wait for their pods to end, then the new RS up (`rolloutRecreate`). */
  async rolloutRecreate(rsList: ReplicaSet[], podsByRSUid: ReadonlyMap<string, Pod[]>): Promise<SyncOutcome> {
    let { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
    const downs = activeReplicaSets(oldRSs).map((rs): ScaleOp => ({ rs, replicas: 0 }));
    if (downs.length > 0) {
      await this.applyOps(downs);
      return this.syncRolloutStatus([...oldRSs, newRS], newRS);
    }
    if (oldPodsRunning(newRS, oldRSs, podsByRSUid)) return this.syncRolloutStatus([...oldRSs, newRS], newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, true));
    if (newRS && specReplicas(newRS) !== specReplicas(this.d)) await this.applyOps([{ rs: newRS, replicas: specReplicas(this.d) }]);
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanupDeployment(oldRSs);
    return this.syncRolloutStatus([...oldRSs, newRS], newRS);
  }

  /** observedGeneration only, for a Deployment that selects everything. */
  async observeGeneration(): Promise<void> {
    const gen = this.d.metadata.generation ?? 0;
    if ((this.d.status?.observedGeneration ?? 0) >= gen) return;
    this.d.status = { ...(this.d.status ?? {}), observedGeneration: gen };
    await this.writeStatus();
  }

  // --- ReplicaSets ---------------------------------------------------------------------------------

  /** The new RS (created when asked and absent) and all old ones, syncing revisions (`getAllReplicaSetsAndSyncRevision`). */
  async getAllReplicaSetsAndSyncRevision(rsList: ReplicaSet[], create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const existing = findNewReplicaSet(this.d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRS = await this.getNewReplicaSet(existing, oldRSs, create);
    return { newRS, oldRSs };
  }

  private async getNewReplicaSet(existing: ReplicaSet | undefined, oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const newRevision = maxRevision(oldRSs) + 1;
    const now = this.deps.now();
    if (existing) {
      const copy = deepCopy(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0)) {
        copy.spec = { ...copy.spec!, minReadySeconds: d.spec?.minReadySeconds };
        if (copy.spec.minReadySeconds === undefined) delete copy.spec.minReadySeconds;
        return this.updateReplicaSet(copy);
      }
      let needsUpdate = this.setRevision(copy.metadata?.annotations?.[revisionAnnotation]);
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        this.setStatusCondition(newCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${copy.metadata?.name}"`, now));
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus();
      return copy;
    }
    if (!create) return undefined;

    const template = deepCopy(d.spec?.template ?? {});
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
    const rs: ReplicaSet & ApiObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${d.metadata.name}-${hash}`, namespace: this.ns, ownerReferences: [deploymentControllerRef(d)], labels: template.metadata.labels },
      spec: { replicas: 0, selector: selectorWithLabel(d.spec?.selector, podTemplateHashLabel, hash), template },
    };
    if (d.spec?.minReadySeconds) rs.spec!.minReadySeconds = d.spec.minReadySeconds;
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.deps.client.create(replicaSetsResource, rs, { signal: this.deps.signal });
    } catch (e) {
      if (isStatusError(e) && e.code === 409 && e.reason === 'AlreadyExists') {
        alreadyExists = true;
        const found = this.deps.replicaSets.get(`${this.ns}/${rs.metadata.name}`) ?? (await this.deps.client.get<ReplicaSet & ApiObject>(replicaSetsResource, rs.metadata.name!, { namespace: this.ns, signal: this.deps.signal }));
        if (controllerOf(found)?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          created = found;
        } else {
          // A hash collision with someone else's ReplicaSet: bump collisionCount so the next sync computes another name.
          const preCollisionCount = d.status?.collisionCount ?? 0;
          d.status = { ...(d.status ?? {}), collisionCount: preCollisionCount + 1 };
          await this.writeStatus().then(
            () => this.deps.logger?.info('found a hash collision for deployment, bumping collisionCount', { deployment: `${this.ns}/${d.metadata.name}`, collisionCount: preCollisionCount + 1 }),
            () => undefined,
          );
          throw e;
        }
      } else if (isStatusError(e) && e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${rs.metadata.name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          this.setStatusCondition(newCondition('Progressing', 'False', reasons.failedRSCreate, msg, now));
          await this.writeStatus().catch(() => undefined);
        }
        this.deps.recorder.event(d, 'Warning', reasons.failedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExists && replicas > 0) this.deps.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata?.name} from 0 to ${replicas}`);
    let needsUpdate = this.setRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      this.setStatusCondition(newCondition('Progressing', 'True', reasons.newRSCreated, `Created new replica set "${created.metadata?.name}"`, now));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus();
    return created;
  }

  /** Carries out scale operations in order; the next sync reads the new sizes back from the cache. */
  private async applyOps(ops: ScaleOp[]): Promise<void> {
    for (const op of ops) await this.scaleReplicaSet(op);
  }

  /** `scaleReplicaSetAndRecordEvent` / `scaleReplicaSet`: resize and refresh the replicas annotations; event on a size change. */
  private async scaleReplicaSet(op: ScaleOp): Promise<void> {
    const { rs, replicas } = op;
    const oldScale = specReplicas(rs);
    if (op.operation === undefined && oldScale === replicas) return;
    const operation = op.operation ?? (oldScale < replicas ? 'up' : 'down');
    const desired = specReplicas(this.d);
    const max = desired + maxSurge(this.d);
    const sizeNeedsUpdate = oldScale !== replicas;
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return;
    const copy = deepCopy(rs);
    copy.spec = { ...copy.spec!, replicas };
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.updateReplicaSet(copy);
    if (sizeNeedsUpdate) this.deps.recorder.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${updated.metadata?.name} from ${oldScale} to ${replicas}`);
  }

  private updateReplicaSet(rs: ReplicaSet): Promise<ReplicaSet> {
    return this.deps.client.update(replicaSetsResource, rs as ReplicaSet & ApiObject, { signal: this.deps.signal });
  }

  /** Deletes the oldest empty old RSs beyond revisionHistoryLimit (`cleanupDeployment`). */
  private async cleanupDeployment(oldRSs: ReplicaSet[]): Promise<void> {
    if (!hasRevisionHistoryLimit(this.d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - this.d.spec!.revisionHistoryLimit!;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.deps.client.delete(replicaSetsResource, rs.metadata!.name!, { namespace: this.ns, signal: this.deps.signal });
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) throw e;
      }
    }
  }

  // --- status --------------------------------------------------------------------------------------

  private async syncDeploymentStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    this.d.status = calculateStatus(allRSs, newRS, this.d, this.deps.now());
    await this.writeStatus();
  }

  private async syncRolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<SyncOutcome> {
    const now = this.deps.now();
    const status = rolloutStatus(allRSs, newRS, this.d, now);
    if (jsonEqual(this.d.status ?? {}, status)) {
      const after = stuckRequeueAfterMs(this.d, status, now);
      return after === undefined ? {} : { requeueAfterMs: Math.max(after, 1000) };
    }
    this.d.status = status;
    await this.writeStatus();
    return {};
  }

  private setStatusCondition(cond: ReturnType<typeof newCondition>): void {
    const s = { ...(this.d.status ?? {}) };
    setCondition(s, cond);
    this.d.status = s;
  }

  /** `SetDeploymentRevision` on our copy; true when it changed. */
  private setRevision(revision: string | undefined): boolean {
    if (revision === undefined) return false;
    const ann = (this.d.metadata.annotations ??= {});
    if (ann[revisionAnnotation] === revision) return false;
    ann[revisionAnnotation] = revision;
    return true;
  }

  /**
   * Persists the revision annotation and the status of our copy, each only if it changed.
   * Upstream writes both with one UpdateStatus (its status strategy keeps metadata changes but
   * labels); our /status keeps all metadata as stored, so the annotation goes by a merge patch first.
   */
  private async writeStatus(): Promise<void> {
    const { client, signal } = this.deps;
    const name = this.d.metadata.name!;
    const revision = this.d.metadata.annotations?.[revisionAnnotation];
    if (revision !== undefined && revision !== this.serverRevision) {
      const patched = await client.patch<Deployment & ApiObject>(deploymentsResource, name, { metadata: { annotations: { [revisionAnnotation]: revision } } }, 'merge', { namespace: this.ns, signal });
      this.serverRevision = revision;
      (this.d.metadata as { resourceVersion?: string }).resourceVersion = patched.metadata.resourceVersion;
    }
    if (jsonEqual(this.d.status ?? {}, this.serverStatus ?? {})) return;
    const updated = await client.updateStatus<Deployment & ApiObject>(deploymentsResource, this.d, { signal });
    (this.d.metadata as { resourceVersion?: string }).resourceVersion = updated.metadata.resourceVersion;
    this.serverStatus = deepCopy(updated.status);
  }
}

/** The oldest RS whose template equals the Deployment's, ignoring the hash label (`FindNewReplicaSet`). */
export function findNewReplicaSet(d: Deployment, rsList: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rsList].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}
