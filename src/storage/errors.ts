/** Constructors for the StorageErrors every backend raises alike. */
import { StorageError } from './store.js';

export function compactedError(requested: number, compacted: number): StorageError {
  return new StorageError(
    'Compacted',
    `required revision ${requested} has been compacted (compacted revision ${compacted})`,
    undefined,
    undefined,
    compacted,
  );
}

export function closedError(): StorageError {
  return new StorageError('Unavailable', 'store is closed');
}

export function futureRevisionError(requested: number, current: number): StorageError {
  return new StorageError('InvalidArgument', `required revision ${requested} is a future revision (current ${current})`);
}

export function keyExistsError(key: string): StorageError {
  return new StorageError('KeyExists', `key already exists: ${key}`, key);
}

export function keyNotFoundError(key: string): StorageError {
  return new StorageError('KeyNotFound', `key not found: ${key}`, key);
}

export function conflictError(key: string, current: { key: string; value: string; modRevision: number; createRevision: number }, want: number): StorageError {
  return new StorageError('Conflict', `revision mismatch on ${key}: current ${current.modRevision}, expected ${want}`, key, current);
}
