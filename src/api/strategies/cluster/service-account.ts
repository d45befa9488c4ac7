/** ServiceAccounts: only generic metadata rules apply (ValidateServiceAccount, core validation). */
import type { ClusterStrategy } from './util.js';

export const serviceAccountStrategy: ClusterStrategy = { validate: () => [] };
