/**
 * Defaults of the scheduler configuration (pkg/scheduler/apis/config/v1/defaults.go and
 * default_plugins.go): the v1.32 default plugins, enabled through `multiPoint` with upstream's
 * score weights, merged with a profile's own plugin sets as mergePlugins does.
 */
import { names } from '../plugins/names.js';
import { defaultSchedulerName, extensionPoints, type PluginRef, type Plugins, type PluginSet, type SchedulerConfiguration } from './types.js';

/** getDefaultPlugins (v1.32), minus the volume plugins Capstan does not have (VolumeRestrictions, NodeVolumeLimits, VolumeZone). */
export const defaultMultiPoint: readonly PluginRef[] = [
  { name: names.SchedulingGates },
  { name: names.PrioritySort },
  { name: names.NodeUnschedulable },
  { name: names.NodeName },
  { name: names.TaintToleration, weight: 3 },
  { name: names.NodeAffinity, weight: 2 },
  { name: names.NodePorts },
  { name: names.NodeResourcesFit, weight: 1 },
  { name: names.VolumeBinding },
  { name: names.PodTopologySpread, weight: 2 },
  { name: names.InterPodAffinity, weight: 2 },
  { name: names.DefaultPreemption },
  { name: names.NodeResourcesBalancedAllocation, weight: 1 },
  { name: names.ImageLocality, weight: 1 },
  { name: names.DefaultBinder },
];

/** The default plugin set limited to the plugins `registered` knows. */
export function defaultPlugins(registered: (name: string) => boolean): Plugins {
  return { multiPoint: { enabled: defaultMultiPoint.filter((p) => registered(p.name)).map((p) => ({ ...p })) } };
}

/** mergePluginSet: custom enables replace defaults in place, "*" drops all defaults, the rest is appended. */
export function mergePluginSet(defaults: PluginSet | undefined, custom: PluginSet | undefined): PluginSet {
  const disabled = [...(custom?.disabled ?? []), ...(defaults?.disabled ?? [])].map((p) => ({ name: p.name }));
  const disabledNames = new Set(disabled.map((p) => p.name));
  const customEnabled = custom?.enabled ?? [];
  const byName = new Map(customEnabled.map((p, i) => [p.name, i] as const));
  const replaced = new Set<number>();
  const enabled: PluginRef[] = [];
  if (!disabledNames.has('*')) {
    for (const d of defaults?.enabled ?? []) {
      if (disabledNames.has(d.name)) continue;
      const i = byName.get(d.name);
      if (i !== undefined) {
        enabled.push({ ...customEnabled[i]! });
        replaced.add(i);
      } else enabled.push({ ...d });
    }
  }
  customEnabled.forEach((p, i) => {
    if (!replaced.has(i)) enabled.push({ ...p });
  });
  const out: PluginSet = {};
  if (enabled.length) out.enabled = enabled;
  if (disabled.length) out.disabled = disabled;
  return out;
}

export function mergePlugins(defaults: Plugins, custom: Plugins | undefined): Plugins {
  const out: Plugins = {};
  for (const point of ['multiPoint', ...extensionPoints] as const) {
    const merged = mergePluginSet(defaults[point], custom?.[point]);
    if (merged.enabled || merged.disabled) out[point] = merged;
  }
  return out;
}

/** SetDefaults_KubeSchedulerConfiguration: returns a defaulted deep copy. */
export function withDefaults(config: SchedulerConfiguration | undefined, registered: (name: string) => boolean): SchedulerConfiguration {
  const c: SchedulerConfiguration = structuredClone(config ?? {});
  c.apiVersion ??= 'kubescheduler.config.k8s.io/v1';
  c.kind ??= 'KubeSchedulerConfiguration';
  c.parallelism ??= 16;
  c.percentageOfNodesToScore ??= 0;
  c.podInitialBackoffSeconds ??= 1;
  c.podMaxBackoffSeconds ??= 10;
  if (!c.profiles || c.profiles.length === 0) c.profiles = [{}];
  if (c.profiles.length === 1 && c.profiles[0]!.schedulerName === undefined) c.profiles[0]!.schedulerName = defaultSchedulerName;
  const defaults = defaultPlugins(registered);
  for (const p of c.profiles) p.plugins = mergePlugins(defaults, p.plugins);
  return c;
}
