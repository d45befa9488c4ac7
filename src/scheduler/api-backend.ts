/**
 * The scheduler's effects over the API client: binding through `pods/binding`, pod status patches
 * (PodScheduled condition, nominatedNodeName), VolumeBinding's PV and claim updates, and preemption's graceful victim deletion with a
 * DisruptionTarget condition first (as upstream's preemption executor).
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../api/object.js';
import { isStatusError } from '../api/errors.js';
import type { ApiClient } from '../client/api-client.js';
import { resourcePath } from '../client/resource-path.js';
import type { EventSink } from './event-recorder.js';
import type { SchedulerBackend } from './scheduler.js';
import type { ResourceRef } from '../client/resource-path.js';
import { builtinRefs } from '../client/builtin-refs.js';

export const podsResource: ResourceRef = builtinRefs.pods;
const persistentVolumesResource: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false };

const nowTime = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ApiSchedulerBackend implements SchedulerBackend {
  constructor(
    private readonly client: ApiClient,
    private readonly events: EventSink,
    private readonly schedulerName = 'default-scheduler',
  ) {}

  async bind(pod: Pod, nodeName: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const body = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace: ns, uid: pod.metadata?.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    await this.client.request('POST', resourcePath(podsResource, { namespace: ns, name, subresource: 'binding' }), { body });
  }

  async updatePersistentVolume(pv: PersistentVolume): Promise<PersistentVolume> {
    return (await this.client.update(persistentVolumesResource, pv as ApiObject)) as unknown as PersistentVolume;
  }

  async updatePersistentVolumeClaim(pvc: PersistentVolumeClaim): Promise<PersistentVolumeClaim> {
    return (await this.client.update(builtinRefs.persistentvolumeclaims, pvc as ApiObject)) as unknown as PersistentVolumeClaim;
  }

  async patchPodStatus(pod: Pod, condition: PodCondition, nominatedNodeName?: string | null): Promise<void> {
    const status: Record<string, unknown> = { conditions: [condition] };
    if (nominatedNodeName !== undefined) status.nominatedNodeName = nominatedNodeName;
    await this.patchStatus(pod, { status });
  }

  async setNominatedNodeName(pod: Pod, nodeName: string | undefined): Promise<void> {
    if ((pod.status?.nominatedNodeName ?? undefined) === nodeName) return;
    await this.patchStatus(pod, { status: { nominatedNodeName: nodeName ?? null } });
  }

  async evictVictim(victim: Pod, preemptor: Pod, reason: string): Promise<void> {
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: reason || `${this.schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: nowTime() };
    try {
      await this.patchStatus(victim, { status: { conditions: [condition] } });
      await this.client.delete(podsResource, victim.metadata?.name ?? '', { namespace: victim.metadata?.namespace, preconditions: victim.metadata?.uid ? { uid: victim.metadata.uid } : undefined });
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return;
      throw e;
    }
    this.events.event(victim, 'Normal', 'Preempted', 'Preempting', `Preempted by pod ${preemptor.metadata?.uid} on node ${victim.spec?.nodeName}`);
  }

  private async patchStatus(pod: Pod, patch: unknown): Promise<void> {
    await this.client.patch(podsResource, pod.metadata?.name ?? '', patch, 'strategic', { namespace: pod.metadata?.namespace, subresource: 'status' });
  }
}
