/** The in-tree plugins by name (pkg/scheduler/framework/plugins/registry.go NewInTreeRegistry). */
import type { Registry } from '../framework/registry.js';
import type { ArgsValidator } from '../config/validation.js';
import { factory as defaultBinder } from './default-binder/index.js';
import { factory as defaultPreemption } from './default-preemption/index.js';
import { factory as imageLocality } from './image-locality/index.js';
import { factory as interPodAffinity } from './inter-pod-affinity/index.js';
import { factory as nodeAffinity } from './node-affinity/index.js';
import { factory as nodeName } from './node-name/index.js';
import { factory as nodePorts } from './node-ports/index.js';
import { validateBalancedAllocationArgs, validateFitArgs } from './node-resources/args.js';
import { factory as balancedAllocation } from './node-resources/balanced-allocation.js';
import { factory as nodeResourcesFit } from './node-resources/fit.js';
import { factory as nodeUnschedulable } from './node-unschedulable/index.js';
import { factory as podTopologySpread } from './pod-topology-spread/index.js';
import { factory as prioritySort } from './priority-sort/index.js';
import { factory as schedulingGates } from './scheduling-gates/index.js';
import { factory as taintToleration } from './taint-toleration/index.js';
import { factory as volumeBinding } from './volume-binding/index.js';
import { names } from './names.js';

export const inTreeRegistry: Registry = {
  [names.PrioritySort]: prioritySort,
  [names.SchedulingGates]: schedulingGates,
  [names.NodeUnschedulable]: nodeUnschedulable,
  [names.NodeName]: nodeName,
  [names.TaintToleration]: taintToleration,
  [names.NodeAffinity]: nodeAffinity,
  [names.NodePorts]: nodePorts,
  [names.NodeResourcesFit]: nodeResourcesFit,
  [names.NodeResourcesBalancedAllocation]: balancedAllocation,
  [names.ImageLocality]: imageLocality,
  [names.VolumeBinding]: volumeBinding,
  [names.PodTopologySpread]: podTopologySpread,
  [names.InterPodAffinity]: interPodAffinity,
  [names.DefaultPreemption]: defaultPreemption,
  [names.DefaultBinder]: defaultBinder,
};

/** Plugin args checked when the configuration is loaded (the scheduler refuses bad ones). */
export const inTreeArgsValidators: Record<string, ArgsValidator> = {
  [names.NodeResourcesFit]: validateFitArgs,
  [names.NodeResourcesBalancedAllocation]: validateBalancedAllocationArgs,
};
