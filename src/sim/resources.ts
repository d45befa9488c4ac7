/** The resources the simulator reads and writes. */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../api/object.js';
import type { ResourceRef } from '../client/resource-path.js';

export const nodesRef: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
export const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
export const leasesRef: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true };

/** The typed objects, in the shape the client's generic machinery requires (metadata present). */
export type PodObject = Pod & ApiObject;
export type NodeObject = Node & ApiObject;
export type LeaseObject = Lease & ApiObject;
