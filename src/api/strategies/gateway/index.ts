/** Strategies of the natively served Gateway API kinds (gateway.networking.k8s.io/v1). */
import type { ResourceStrategy } from '../../strategy.js';
import { gatewayClassStrategy, gatewayStrategy } from './gateway.js';
import { httpRouteStrategy } from './http-route.js';
import { referenceGrantStrategy } from './reference-grant.js';

export const gatewayStrategies: Record<string, ResourceStrategy> = {
  'gateway.networking.k8s.io/GatewayClass': gatewayClassStrategy,
  'gateway.networking.k8s.io/Gateway': gatewayStrategy,
  'gateway.networking.k8s.io/HTTPRoute': httpRouteStrategy,
  'gateway.networking.k8s.io/ReferenceGrant': referenceGrantStrategy,
};
