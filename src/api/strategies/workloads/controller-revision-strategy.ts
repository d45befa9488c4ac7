/**
 * apps/v1 ControllerRevision strategy (pkg/registry/apps/controllerrevision/strategy.go;
 * ValidateControllerRevision and ValidateControllerRevisionUpdate): data is required and immutable.
 */
import { type FieldError, FieldPath, required } from '../../field-errors.js';
import type { ResourceStrategy } from '../../strategy.js';
import { immutableField, nonNegative } from './util.js';

export const controllerRevisionStrategy: ResourceStrategy = {
  validate(obj): FieldError[] {
    const errs: FieldError[] = [];
    if (obj.data === undefined || obj.data === null) errs.push(required(FieldPath.root('data'), 'data is mandatory'));
    errs.push(...nonNegative(obj.revision as number | undefined, FieldPath.root('revision')));
    return errs;
  },
  validateUpdate: (obj, old) => immutableField(obj.data, old.data, FieldPath.root('data')),
};
