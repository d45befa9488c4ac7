/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), the parts Capstan's scheduler
 * reads: profiles with their plugin sets, weights and plugin args, the node sampling percentage
 * and the queue's backoff bounds. Unknown fields (clientConnection, leaderElection, ...) are
 * accepted and ignored.
 */

export const configApiVersion = 'kubescheduler.config.k8s.io/v1';
export const configKind = 'KubeSchedulerConfiguration';
export const defaultSchedulerName = 'default-scheduler';

/** Extension points in the order the framework runs them. */
export const extensionPoints = ['preEnqueue', 'queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'] as const;
export type ExtensionPoint = (typeof extensionPoints)[number];

export interface PluginRef {
  name: string;
  /** Score weight; 0 or absent means 1. */
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  /** `{name: "*"}` disables every default plugin of the point. */
  disabled?: PluginRef[];
}

export type Plugins = { multiPoint?: PluginSet } & { [P in ExtensionPoint]?: PluginSet };

export interface PluginConfig {
  name: string;
  args?: Record<string, unknown>;
}

export interface SchedulerProfile {
  schedulerName?: string;
  /** Overrides the global percentageOfNodesToScore for this profile. */
  percentageOfNodesToScore?: number;
  plugins?: Plugins;
  pluginConfig?: PluginConfig[];
}

export interface SchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  parallelism?: number;
  /** 0 (default): adaptive, 50% minus 1% per 125 nodes, at least 5%. */
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  profiles?: SchedulerProfile[];
  [other: string]: unknown;
}
