/**
 * Loads the generated API schema (dist/schema/definitions.json, written by the build's gen-schema
 * step) once per process and answers a `SchemaResolver` over it.
 *
 * The file is looked up relative to this module: `dist/src/api/schema/` when compiled, `src/api/schema/`
 * when run from source (tests under tsx). When no built file exists (a checkout that was never
 * built), the schema is generated in-process from the development dependencies instead. After an
 * edit to overlay.ts or the generator, rebuild (`npm run build`) so that the file is not stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Definitions, SchemaResolver } from './schema-types.js';
import { createResolver } from './resolver.js';

export const schemaFileName = 'definitions.json';

/** Where the generated file may be, most likely first. */
export function schemaFileCandidates(): string[] {
  return [
    // compiled: dist/src/api/schema/load-schema.js → dist/schema/definitions.json
    fileURLToPath(new URL(`../../../schema/${schemaFileName}`, import.meta.url)),
    // from source: src/api/schema/load-schema.ts → dist/schema/definitions.json
    fileURLToPath(new URL(`../../../dist/schema/${schemaFileName}`, import.meta.url)),
  ];
}

let cached: SchemaResolver | undefined;

/** The process-wide resolver over the built-in API schema. */
export async function loadSchema(): Promise<SchemaResolver> {
  if (cached) return cached;
  const file = schemaFileCandidates().find((f) => existsSync(f));
  let definitions: Definitions;
  if (file) {
    definitions = (JSON.parse(readFileSync(file, 'utf8')) as { definitions: Definitions }).definitions;
  } else {
    const { generateDefinitions } = await import('./generate-definitions.js');
    definitions = generateDefinitions();
  }
  cached = createResolver(definitions);
  return cached;
}
