/** A plain `name → factory` map of plugins (pkg/scheduler/framework/runtime/registry.go). */
import type { PluginFactory } from './interface.js';

export type Registry = Readonly<Record<string, PluginFactory>>;

/** Merges registries; a name registered twice is a programming error. */
export function mergeRegistries(...registries: Registry[]): Registry {
  const out: Record<string, PluginFactory> = {};
  for (const r of registries)
    for (const [name, f] of Object.entries(r)) {
      if (out[name]) throw new Error(`a plugin named ${name} already exists`);
      out[name] = f;
    }
  return out;
}
