/**
 * Build step (after tsc): writes the API schema, dist/schema/definitions.json, generated from the
 * `kubernetes-types` declarations plus the project's overlay (src/api/schema/overlay.ts).
 * Usage: node dist/scripts/gen-schema.js [output-file]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDefinitions } from '../src/api/schema/generate-definitions.js';
import { schemaFileName } from '../src/api/schema/load-schema.js';

// This file runs from dist/scripts/ (compiled) or scripts/ (tsx); both sit one level below the root.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));
const output = process.argv[2] ?? resolve(root, 'dist', 'schema', schemaFileName);

const definitions = generateDefinitions();
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify({ definitions }));
console.log(`gen-schema: ${Object.keys(definitions).length} definitions → ${output}`);
