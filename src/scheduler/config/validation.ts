/**
 * Validation of a scheduler configuration as written by the user (after
 * pkg/scheduler/apis/config/validation/validation.go, plus the framework's "plugin does not
 * exist" check reported as a field error). Paths name the user's own indices, e.g.
 * `profiles[0].plugins.score.enabled[1].name: Invalid value: "Bogus": unknown plugin`.
 */
import { duplicate, type FieldError, FieldPath, errorMessage, invalid, required } from '../../api/field-errors.js';
import { configApiVersion, configKind, extensionPoints, type PluginSet, type SchedulerConfiguration, type SchedulerProfile } from './types.js';

/** Checks a plugin's args; `path` is `profiles[i].pluginConfig[j].args`. */
export type ArgsValidator = (args: Record<string, unknown> | undefined, path: FieldPath) => FieldError[];

export interface ValidationContext {
  isRegistered(name: string): boolean;
  argsValidators: Readonly<Record<string, ArgsValidator>>;
}

/** Thrown when the scheduler must refuse a configuration; the message lists every field error. */
export class InvalidSchedulerConfigError extends Error {
  constructor(readonly errors: readonly FieldError[]) {
    super(`invalid scheduler configuration: ${errors.map(errorMessage).join(', ')}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function validatePluginSet(set: unknown, path: FieldPath, ctx: ValidationContext): FieldError[] {
  const errs: FieldError[] = [];
  if (set === undefined || set === null) return errs;
  if (!isObj(set)) return [invalid(path, set, 'must be an object with enabled and disabled lists')];
  const s = set as PluginSet;
  for (const which of ['enabled', 'disabled'] as const) {
    const list = s[which];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      errs.push(invalid(path.child(which), list, 'must be a list'));
      continue;
    }
    list.forEach((p, i) => {
      const pp = path.child(which).index(i);
      if (!isObj(p) || typeof p.name !== 'string' || p.name === '') {
        errs.push(required(pp.child('name'), ''));
        return;
      }
      const wildcard = which === 'disabled' && p.name === '*';
      if (!wildcard && !ctx.isRegistered(p.name)) errs.push(invalid(pp.child('name'), p.name, 'unknown plugin'));
      if (which === 'enabled' && p.weight !== undefined && (!isInt(p.weight) || p.weight < 0 || p.weight > 100))
        errs.push(invalid(pp.child('weight'), p.weight, 'must be an integer in the range [0, 100]'));
    });
  }
  return errs;
}

function validatePercentage(v: unknown, path: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isInt(v) || v < 0 || v > 100) return [invalid(path, v, 'not in valid range [0-100]')];
  return [];
}

function validateProfile(profile: SchedulerProfile, path: FieldPath, ctx: ValidationContext): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof profile.schedulerName !== 'string' || profile.schedulerName === '') errs.push(required(path.child('schedulerName'), ''));
  errs.push(...validatePercentage(profile.percentageOfNodesToScore, path.child('percentageOfNodesToScore')));
  const plugins = profile.plugins as unknown;
  if (plugins !== undefined && plugins !== null) {
    if (!isObj(plugins)) errs.push(invalid(path.child('plugins'), plugins, 'must be an object'));
    else
      for (const point of ['multiPoint', ...extensionPoints]) {
        errs.push(...validatePluginSet(plugins[point], path.child('plugins', point), ctx));
      }
  }
  const configs = profile.pluginConfig as unknown;
  if (configs !== undefined && configs !== null) {
    if (!Array.isArray(configs)) errs.push(invalid(path.child('pluginConfig'), configs, 'must be a list'));
    else {
      const seen = new Set<string>();
      configs.forEach((c, i) => {
        const cp = path.child('pluginConfig').index(i);
        if (!isObj(c) || typeof c.name !== 'string' || !c.name) {
          errs.push(required(cp.child('name'), ''));
          return;
        }
        if (seen.has(c.name)) errs.push(duplicate(cp, c.name));
        seen.add(c.name);
        if (c.args !== undefined && c.args !== null && !isObj(c.args)) {
          errs.push(invalid(cp.child('args'), c.args, 'must be an object'));
          return;
        }
        const v = ctx.argsValidators[c.name];
        if (v) errs.push(...v(c.args as Record<string, unknown> | undefined, cp.child('args')));
      });
    }
  }
  return errs;
}

const queueSortOf = (p: SchedulerProfile): string => JSON.stringify(p.plugins?.queueSort ?? null);

/** Every problem in `raw` (an undefaulted configuration); empty when it is valid. */
export function validateSchedulerConfiguration(raw: unknown, ctx: ValidationContext): FieldError[] {
  if (!isObj(raw)) return [invalid('', raw, 'must be a KubeSchedulerConfiguration object')];
  const c = raw as SchedulerConfiguration;
  const errs: FieldError[] = [];
  if (c.apiVersion !== undefined && c.apiVersion !== configApiVersion) errs.push(invalid('apiVersion', c.apiVersion, `must be ${configApiVersion}`));
  if (c.kind !== undefined && c.kind !== configKind) errs.push(invalid('kind', c.kind, `must be ${configKind}`));
  if (c.parallelism !== undefined && (!isInt(c.parallelism) || c.parallelism <= 0)) errs.push(invalid('parallelism', c.parallelism, 'should be an integer value greater than zero'));
  errs.push(...validatePercentage(c.percentageOfNodesToScore, FieldPath.root('percentageOfNodesToScore')));
  const initial = c.podInitialBackoffSeconds ?? 1;
  if (!isInt(initial) || initial <= 0) errs.push(invalid('podInitialBackoffSeconds', initial, 'must be greater than 0'));
  const max = c.podMaxBackoffSeconds ?? 10;
  if (!isInt(max) || max < (isInt(initial) ? initial : 1)) errs.push(invalid('podMaxBackoffSeconds', max, 'must be greater than or equal to PodInitialBackoffSeconds'));
  const profiles = c.profiles as unknown;
  if (profiles === undefined || profiles === null) return errs;
  if (!Array.isArray(profiles)) return [...errs, invalid('profiles', profiles, 'must be a list')];
  const names = new Set<string>();
  profiles.forEach((p, i) => {
    const pp = FieldPath.root('profiles').index(i);
    if (!isObj(p)) {
      errs.push(invalid(pp, p, 'must be an object'));
      return;
    }
    // A single unnamed profile is the default scheduler's (v1 defaulting).
    const profile: SchedulerProfile = profiles.length === 1 && p.schedulerName === undefined ? { ...p, schedulerName: 'default-scheduler' } : (p as SchedulerProfile);
    errs.push(...validateProfile(profile, pp, ctx));
    if (typeof profile.schedulerName === 'string' && profile.schedulerName) {
      if (names.has(profile.schedulerName)) errs.push(duplicate(pp.child('schedulerName'), profile.schedulerName));
      names.add(profile.schedulerName);
    }
  });
  const first = profiles[0] as SchedulerProfile | undefined;
  profiles.forEach((p, i) => {
    if (i > 0 && isObj(p) && queueSortOf(p as SchedulerProfile) !== queueSortOf(first ?? {}))
      errs.push(invalid(FieldPath.root('profiles').index(i).child('plugins', 'queueSort'), (p as SchedulerProfile).plugins?.queueSort ?? null, 'must be the same for all profiles'));
  });
  return errs;
}
