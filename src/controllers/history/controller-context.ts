/**
 * What the StatefulSet and DaemonSet controllers need of the controller manager's
 * ControllerContext: declared structurally here so that these controllers compile on their own;
 * the manager's richer context satisfies it.
 */
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import type { Clock } from '../../client/clock.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { Logger } from '../../util/logger.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export interface InformerSource {
  /** One shared informer per resource. */
  informerFor(ref: ResourceRef): Informer<ApiObject>;
}

export interface EventSink {
  event(obj: ApiObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface WorkloadControllerContext {
  client: ApiClient;
  informers: InformerSource;
  logger: Logger;
  clock: Clock;
  recorder: EventSink;
}

export const podsRef: ResourceRef = builtinRefs.pods;
export const nodesRef: ResourceRef = builtinRefs.nodes;
export const pvcsRef: ResourceRef = builtinRefs.persistentvolumeclaims;
export const controllerRevisionsRef: ResourceRef = builtinRefs.controllerrevisions;
export const statefulSetsRef: ResourceRef = builtinRefs.statefulsets;
export const daemonSetsRef: ResourceRef = builtinRefs.daemonsets;
