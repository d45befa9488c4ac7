/** Reads a scheduler configuration file (YAML or JSON); validation happens when the scheduler is built. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { SchedulerConfiguration } from './types.js';

export async function loadSchedulerConfiguration(path: string): Promise<SchedulerConfiguration> {
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`scheduler configuration ${path}: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`scheduler configuration ${path}: not a KubeSchedulerConfiguration object`);
  return doc as SchedulerConfiguration;
}
