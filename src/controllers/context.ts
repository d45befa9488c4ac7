/**
 * What the controller manager hands every controller it starts (kube-controller-manager's
 * `ControllerContext`): the API client, the shared informers, a logger, the clock, and an event
 * recorder whose `source.component` names the controller.
 */
import type { ApiClient } from '../client/api-client.js';
import type { Clock } from '../client/clock.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import type { Logger } from '../util/logger.js';
import type { EventRecorder } from './events.js';
import type { Listener } from '../network/l7/route-table.js';

export interface ControllerContext {
  client: ApiClient;
  /** Ask for informers while constructing; the manager starts them before the controllers run. */
  informers: SharedInformerFactory;
  logger: Logger;
  clock: Clock;
  recorder: EventRecorder;
  /** Per-controller tunables (upstream's kube-controller-manager flags); absent ones take upstream defaults. */
  settings?: ControllerSettings;
}

export interface ControllerSettings {
  /** --node-monitor-grace-period (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** --terminated-pod-gc-threshold (default 12,500; 0 turns collection of terminated pods off). */
  terminatedPodGcThreshold?: number;
  /** --cluster-cidr, the range node pod CIDRs come from (default 10.42.0.0/16). */
  clusterCidr?: string;
  /** --node-cidr-mask-size (default 24). */
  nodeCidrMaskSize?: number;
  /**
   * The nodes' agent data dir, under which the local-path provisioner places its volumes
   * (`<dir>/local-path/<pv>`); default `/var/lib/capstan-agent`, the agent's default as root.
   */
  localPathDataDir?: string;
  /** Gateway API: the address gateway listeners bind (default 127.0.0.1; ports below 1024 need root). */
  gatewayBindAddress?: string;
  /** Gateway API: the address Gateways report in status (default the bind address). */
  gatewayStatusAddress?: string;
  /** Gateway API: receives the compiled RouteTable listeners whenever they change (the HTTP proxy engine). */
  onGatewayTable?: (listeners: Listener[]) => void;
}

export const defaultLocalPathDataDir = '/var/lib/capstan-agent';

/** A started controller runs until `signal` aborts, then resolves once stopped. */
export interface RunnableController {
  start(signal: AbortSignal): Promise<void>;
}

/** How the manager builds one controller. */
export type ControllerFactory = (ctx: ControllerContext) => RunnableController;
