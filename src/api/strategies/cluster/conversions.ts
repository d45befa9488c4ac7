/** Conversions of the served versions that are not their kind's storage version, keyed `<group>/<version>/<Kind>`. */
import type { VersionConversion } from '../../resource.js';
import { eventsV1Conversion } from './event-conversion.js';
import { hpaV1Conversion } from './hpa-conversion.js';

export const conversions: Record<string, VersionConversion> = {
  'autoscaling/v1/HorizontalPodAutoscaler': hpaV1Conversion,
  'events.k8s.io/v1/Event': eventsV1Conversion,
};
