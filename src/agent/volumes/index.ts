/** The node agent's volumes: what the pod worker uses to prepare, mount, refresh and remove pod volumes. */
export { VolumeManager, pluginDirs, setUpFailedMessage, unableToMountMessage } from './volume-manager.js';
export type { SetUpResult, TokenRequestSpec, VolumeError, VolumeLookups, VolumeManagerOptions } from './volume-manager.js';
export { containerMounts, expandSubPathExpr, subPathError } from './subpath.js';
export type { MountsResult, PreparedVolume } from './subpath.js';
export { emptyDirLimitEviction, overSizeLimit, systemMounter } from './empty-dir.js';
export type { EmptyDirUsage, Mounter } from './empty-dir.js';
export { removeOrphanedLocalPathDirs } from './local-path/cleanup.js';
export { isAutoInjectedServiceAccountVolume, markOptionalMounts, mountRetryDelayMs, unpreparedMounts, volumesToSetUp } from './mount-plan.js';
export { TokenManager, tokenNeedsRefresh, tokenRequestBody } from './service-account-token.js';
export { VolumeSources, sourceKinds, volumeReferences } from './volume-sources.js';
