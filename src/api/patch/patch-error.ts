/**
 * The one error type every patch function throws. `message` is upstream's text (evanphx/json-patch,
 * apimachinery strategicpatch); the apiserver maps `kind` onto the Status that kube-apiserver answers.
 */
import { StatusError } from '../errors.js';

/**
 * - `decode`: the patch body is not the shape the patch type needs (400 BadRequest upstream).
 * - `apply`: the patch is well formed but does not apply to the object (JSON patch: 422 Invalid
 *   with a generic message; merge and strategic: 500/422 depending on the cause upstream).
 * - `too-large`: more JSON patch operations than kube-apiserver accepts (413).
 */
export type PatchErrorKind = 'decode' | 'apply' | 'too-large';

export class PatchError extends Error {
  constructor(
    message: string,
    readonly kind: PatchErrorKind = 'apply',
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** kube-apiserver's limit on operations in one JSON patch (handlers/patch.go). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/**
 * The Status kube-apiserver answers for a JSON patch failure (handlers/patch.go, applyJSPatch):
 * decode errors are 400 with the decoder's text, too many operations 413, and an operation that does
 * not apply is a bare 422 whose message does not name the operation (NewGenericServerResponse).
 */
export function jsonPatchStatusError(err: PatchError): StatusError {
  switch (err.kind) {
    case 'decode':
      return new StatusError(400, 'BadRequest', err.message);
    case 'too-large':
      return new StatusError(413, 'RequestEntityTooLarge', err.message);
    default:
      return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  }
}
