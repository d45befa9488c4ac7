/** The resources the deployment controller reads and writes. */
import type { ResourceRef } from '../../client/resource-path.js';

export const deploymentsResource: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
export const replicaSetsResource: ResourceRef = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true };
export const podsResource: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
