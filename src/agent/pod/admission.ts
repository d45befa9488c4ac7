/**
 * Node-side admission of a pod, as pure decisions: whether the node can run it next to the pods
 * it already runs. Follows the kubelet's predicate admit handler (pkg/kubelet/lifecycle/
 * predicate.go, v1.32): the `kubernetes.io/os` label and spec.os checks first, then the
 * scheduler's AdmissionCheck run on the node's own view (resources with extended resources the
 * node does not know dropped, required node affinity and nodeSelector, node name, host ports),
 * then NoExecute taints the pod does not tolerate. The first failure is the verdict, worded as
 * upstream's; a rejected pod is failed with `Pod was rejected: <message>` (kubelet.go rejectPod).
 *
 * Device allocation is the second admit handler upstream (the container manager's resource
 * allocator); its failures are worded by `allocationFailure`.
 */
import type { Node, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { computeQOSClass } from '../../api/strategies/workloads/qos.js';
import { NodeInfo, podHostPorts, podRequests, isHostNetworkNode } from '../../scheduler/framework/node-info.js';
import { findMatchingUntoleratedTaint } from '../../scheduler/plugins/helper/taints.js';
import { podMatchesNodeSelectorAndAffinityTerms } from '../../scheduler/plugins/helper/node-affinity.js';
import { fitsRequest, isExtendedResourceName } from '../../scheduler/plugins/node-resources/fit.js';
import { errReasonPod as nodeAffinityReason } from '../../scheduler/plugins/node-affinity/index.js';
import { errReason as nodeNameReason } from '../../scheduler/plugins/node-name/index.js';
import { errReason as nodePortsReason, portsConflict } from '../../scheduler/plugins/node-ports/index.js';
import { names } from '../../scheduler/plugins/names.js';
import { rfc3339 } from './pod-status.js';

export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

export interface AdmissionInput {
  pod: Pod;
  /** The Node as the API has it (labels, taints, allocatable). */
  node: Node;
  /** The pods already admitted on this node that still hold resources (not the pod itself). */
  otherPods: readonly Pod[];
  /** The node's operating system (Go's runtime.GOOS); default `linux`. */
  os?: string;
}

/** Upstream's reason for a pod whose `kubernetes.io/os` label names another OS. */
export const podOSSelectorMismatch = 'PodOSSelectorNodeLabelDoesNotMatch';
export const podOSNotSupported = 'PodOSNotSupported';
export const unexpectedAdmissionError = 'UnexpectedAdmissionError';
/** tainttoleration.ErrReasonNotMatch: the kubelet's wording, not the scheduler's per-taint one. */
export const taintNotToleratedReason = "node(s) had taints that the pod didn't tolerate";

const osLabel = 'kubernetes.io/os';

/** The reason for a resource that does not fit: OutOfcpu, OutOfmemory, OutOfpods, OutOf<name>. */
export const outOfReason = (resource: string): string => `OutOf${resource}`;

/** InsufficientResourceError's text. */
export function insufficientResourceMessage(resource: string, requested: number, used: number, capacity: number): string {
  return `Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used}, capacity: ${capacity}`;
}

/** PredicateFailureError's text. */
export const predicateFailureMessage = (predicate: string, desc: string): string => `Predicate ${predicate} failed: ${desc}`;

/** Whether the kubelet admits `pod`; when not, the first failure's reason and message. */
export function admitPod(input: AdmissionInput): AdmitResult {
  const { pod, node } = input;
  const goos = input.os ?? 'linux';

  // Checks that evicting other pods could not fix come first.
  const nodeOS = node.metadata?.labels?.[osLabel] || goos;
  const podOS = pod.metadata?.labels?.[osLabel];
  if (podOS !== undefined && podOS !== nodeOS) {
    return { admit: false, reason: podOSSelectorMismatch, message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" };
  }
  if (pod.spec?.os?.name && pod.spec.os.name !== goos) {
    return { admit: false, reason: podOSNotSupported, message: "Failed to admit pod as the OS field doesn't match node OS" };
  }

  const info = new NodeInfo(node);
  for (const p of input.otherPods) info.addPod(p);

  // Extended resources the node does not advertise are cluster-level ones: not the node's to check.
  const request = podRequests(pod);
  for (const name of Object.keys(request.scalar)) {
    if (isExtendedResourceName(name) && !(name in info.allocatable.scalar)) delete request.scalar[name];
  }
  const insufficient = fitsRequest(request, info);
  if (insufficient.length > 0) {
    const r = insufficient[0]!;
    return { admit: false, reason: outOfReason(r.resourceName), message: insufficientResourceMessage(r.resourceName, r.requested, r.used, r.capacity) };
  }
  if (!podMatchesNodeSelectorAndAffinityTerms(pod, node)) return predicateFailure(names.NodeAffinity, nodeAffinityReason);
  const nodeName = pod.spec?.nodeName;
  if (nodeName && nodeName !== node.metadata?.name) return predicateFailure(names.NodeName, nodeNameReason);
  const want = podHostPorts(pod, isHostNetworkNode(node));
  if (want.length > 0 && portsConflict(want, info.usedPorts)) return predicateFailure(names.NodePorts, nodePortsReason);
  // Only NoExecute matters here: NoSchedule taints were the scheduler's business.
  if (findMatchingUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, (t) => t.effect === 'NoExecute')) {
    return predicateFailure(names.TaintToleration, taintNotToleratedReason);
  }
  return { admit: true };
}

function predicateFailure(predicate: string, desc: string): AdmitResult {
  return { admit: false, reason: predicate, message: predicateFailureMessage(predicate, desc) };
}

/** A device allocation that failed at admission (the resource allocator's unexpectedAdmissionError). */
export function allocationFailure(err: Error): { admit: false; reason: string; message: string } {
  return { admit: false, reason: unexpectedAdmissionError, message: `Allocate failed due to ${err.message}, which is unexpected` };
}

/**
 * The status of a rejected pod (rejectPod, then the status manager's start time): Failed with the
 * reason and `Pod was rejected: <message>`; no container statuses, since none was created.
 */
export function rejectedPodStatus(pod: Pod, reason: string, message: string, now: number): PodStatus {
  return {
    phase: 'Failed',
    reason,
    message: `Pod was rejected: ${message}`,
    qosClass: computeQOSClass(pod),
    startTime: pod.status?.startTime ?? rfc3339(now),
  };
}
