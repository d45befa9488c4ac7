/**
 * The shared pod-spec toolkit: defaulting, validation and QoS of pod specs and pod templates,
 * for every strategy (and controller) that embeds a PodSpec or a PodTemplateSpec.
 */
export { defaultPod, defaultPodSpec, defaultPodTemplateSpec, defaultPVC, defaultPVCSpec, pullPolicyFor, canonicalizeResourceList } from './pod-defaults.js';
export { validatePodSpec, validatePodTemplateSpec, type PodSpecValidationOptions } from './pod-spec-validation.js';
export { validatePodUpdate, validatePodStatusUpdate, podUpdateForbiddenMessage } from './pod-update-validation.js';
export { computeQOSClass, type QOSClass } from './qos.js';
