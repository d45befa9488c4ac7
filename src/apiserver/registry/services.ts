/**
 * The narrow interfaces the generic store needs from the rest of the API machinery. They are
 * injected so the store's order of operations stays in one place and testable, and so that time,
 * uids and random name suffixes are deterministic in tests.
 */
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { Store } from '../../storage/store.js';

export interface Clock {
  now(): Date;
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

/** Admission (mutating then validating), e.g. namespace lifecycle. Throws a StatusError to refuse. */
export interface Admission {
  admit(op: Operation, def: ResourceDef, obj: ApiObject, old: ApiObject | undefined, opts: { dryRun: boolean; subresource?: string }): Promise<void>;
}

export type ManagedOperation = 'Apply' | 'Update';

/** Keeps `metadata.managedFields` current on every write (server-side apply's bookkeeping). */
export interface FieldManager {
  /** After a non-apply write: ownership of changed fields moves to `manager`. */
  update(old: ApiObject | undefined, obj: ApiObject, opts: { manager: string; apiVersion: string; subresource?: string; now: Date }): ApiObject;
  /** A server-side apply of `config` over `live`; throws the 409 conflict StatusError unless forced. */
  apply(live: ApiObject | undefined, config: ApiObject, opts: { manager: string; force: boolean; def: ResourceDef; apiVersion: string; subresource?: string; now: Date }): ApiObject;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** Applies json, merge and strategic merge patches; throws a StatusError (400/422) on a bad patch. */
export interface Patcher {
  patch(type: Exclude<PatchType, 'apply'>, def: ResourceDef, original: ApiObject, patch: unknown, subresource?: string): ApiObject;
}

export interface ParsedSelector {
  matches(labels: Record<string, string>): boolean;
  empty(): boolean;
}

export interface ParsedFieldSelector {
  matches(fields: Record<string, string>): boolean;
  empty(): boolean;
  /** Requirements as (field, op, value), for checking they are selectable and for fast paths. */
  requirements(): readonly { field: string; operator: '=' | '==' | '!='; value: string }[];
}

export interface Selectors {
  /** Throws a 400 StatusError on syntax errors. */
  parseLabelSelector(s: string): ParsedSelector;
  /** Parses and checks the fields are selectable for this resource (400 otherwise). */
  parseFieldSelector(def: ResourceDef, s: string): ParsedFieldSelector;
  fieldsOf(def: ResourceDef, obj: ApiObject): Record<string, string>;
}

/** What an allocation done before a write must do once the write succeeded or failed. */
export interface AllocationTransaction {
  commit(): Promise<void>;
  revert(): Promise<void>;
}

/**
 * Values a kind allocates from shared ranges as objects are written (Service ClusterIPs and
 * NodePorts; upstream's service REST beginCreate/beginUpdate/afterDelete). Each begin* runs after
 * validation and admission, may fill fields of `obj`, and throws a StatusError to refuse.
 */
export interface WriteAllocations {
  beginCreate(obj: ApiObject, opts: { dryRun: boolean }): Promise<AllocationTransaction>;
  beginUpdate(obj: ApiObject, old: ApiObject, opts: { dryRun: boolean }): Promise<AllocationTransaction>;
  /** After the object is gone from storage. */
  afterDelete(obj: ApiObject): Promise<void>;
}

export interface RegistryServices {
  store: Store;
  clock: Clock;
  newUid(): string;
  /** 5 characters from generateName's alphabet. */
  nameSuffix(): string;
  admission: Admission;
  fieldManager: FieldManager;
  patcher: Patcher;
  selectors: Selectors;
  /** Allocations of the kinds that have them, by `group/Kind`. */
  allocations?: Map<string, WriteAllocations>;
}
