#!/usr/bin/env node
// Entry point of the `capstan` command; the implementation is compiled to dist/ by `npm run build`.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`capstan: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
