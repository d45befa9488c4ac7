/** Strategies of the natively served Gateway API kinds (gateway.networking.k8s.io/v1). */
import type { ResourceStrategy } from '../../strategy.js';
import { gatewayClassStrategy, gatewayStrategy } from './gateway.js';
import { httpRouteStrategy } from './http-route.js';

export const gatewayStrategies: Record<string, ResourceStrategy> = {
  'gateway.networking.k8s.io/GatewayClass': gatewayClassStrategy,
  'gateway.networking.k8s.io/Gateway': gatewayStrategy,
  'gateway.networking.k8s.io/HTTPRoute': httpRouteStrategy,
};
