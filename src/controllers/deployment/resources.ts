/** The resources the deployment controller reads and writes. */
import type { ResourceRef } from '../../client/resource-path.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const deploymentsResource: ResourceRef = builtinRefs.deployments;
export const replicaSetsResource: ResourceRef = builtinRefs.replicasets;
export const podsResource: ResourceRef = builtinRefs.pods;
