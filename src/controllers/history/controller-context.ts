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

export const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
export const nodesRef: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
export const pvcsRef: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true };
export const controllerRevisionsRef: ResourceRef = { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true };
export const statefulSetsRef: ResourceRef = { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true };
export const daemonSetsRef: ResourceRef = { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true };
