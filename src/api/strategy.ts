/**
 * A resource strategy: the small, stateless, per-kind part of the generic registry
 * (k8s.io/apiserver/pkg/registry/rest: RESTCreateStrategy, RESTUpdateStrategy).
 * The generic store calls the hooks in one fixed order (see apiserver/registry/generic-store.ts):
 *
 *   create: default → (generic meta prep) → prepareForCreate → validate (+ generic meta validation)
 *   update: default → (generic meta prep) → prepareForUpdate → validate + validateUpdate
 *   status: statusPrepareForUpdate → statusValidateUpdate
 *
 * Hooks may mutate the object they are given (a private decoded copy) but never `old`.
 * Validation returns field errors and never throws.
 */
import type { ApiObject } from './object.js';
import type { FieldError } from './field-errors.js';

export interface ResourceStrategy {
  /** How `metadata.name` is checked (default: DNS-1123 subdomain), e.g. DNS labels for Namespaces. */
  nameValidator?: (name: string) => string[];
  /** Keep the status a client sends on create (Nodes register with their status). */
  keepsStatusOnCreate?: boolean;
  /** Scheme defaulting (SetDefaults_* in pkg/apis/<group>/<version>/defaults.go). Runs on every decoded write body. */
  default?(obj: ApiObject): void;
  /**
   * Create-time preparation: e.g. reset status to its initial value (Pods get `phase: Pending`).
   * The generic store has already dropped a client-sent status for kinds with a status subresource.
   */
  prepareForCreate?(obj: ApiObject): void;
  /** Update-time preparation of the main resource: e.g. keep `old.status` (done generically) or carry over immutable bits. */
  prepareForUpdate?(obj: ApiObject, old: ApiObject): void;
  /** Kind-specific validation of a whole object (metadata name/labels are validated generically). */
  validate(obj: ApiObject): FieldError[];
  /** Extra checks on update, e.g. immutable fields. `validate(obj)` also runs. */
  validateUpdate?(obj: ApiObject, old: ApiObject): FieldError[];
  /** Warnings returned to the client as `Warning: 299 - "..."` headers. */
  warnings?(obj: ApiObject, old?: ApiObject): string[];
  /** For the /status subresource: copy everything but status from old (done generically), then this. */
  statusPrepareForUpdate?(obj: ApiObject, old: ApiObject): void;
  statusValidateUpdate?(obj: ApiObject, old: ApiObject): FieldError[];
}

/** A strategy with no kind-specific rules (for simple kinds). */
export const noopStrategy: ResourceStrategy = { validate: () => [] };
