/** Names shared by the local-path provisioner (controller side) and the agent that serves its volumes. */
export const localPathProvisionerName = 'capstan.io/local-path';
export const localPathStorageClassName = 'local-path';
/** The directory, under a node's data dir, that holds the provisioned volumes. */
export const localPathDirName = 'local-path';
