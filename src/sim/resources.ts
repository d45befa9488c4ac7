/** The resources the simulator reads and writes. */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../api/object.js';
import type { ResourceRef } from '../client/resource-path.js';
import { builtinRefs } from '../client/builtin-refs.js';

export const nodesRef: ResourceRef = builtinRefs.nodes;
export const podsRef: ResourceRef = builtinRefs.pods;
export const leasesRef: ResourceRef = builtinRefs.leases;

/** The typed objects, in the shape the client's generic machinery requires (metadata present). */
export type PodObject = Pod & ApiObject;
export type NodeObject = Node & ApiObject;
export type LeaseObject = Lease & ApiObject;
