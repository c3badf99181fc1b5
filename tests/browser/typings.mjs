// The JS client's TypeScript typings, generated from its JSDoc by tsc (tests/browser's pinned
// typescript): static/js/auth-client.d.ts, checked in.
//
//   cd tests/browser && npm ci && npm run typings      regenerates the file after a JSDoc change
//
// typings.test.mjs fails when the checked-in file differs from a fresh generation, and type-checks
// typings/usage.ts against it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const client = path.resolve(here, '..', '..', 'static', 'js', 'auth-client.js');
export const typings = client.replace(/\.js$/, '.d.ts');
const tsc = path.join(here, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs the pinned tsc; throws with its output when it reports errors. */
export function runTsc(args) {
  try {
    return execFileSync(process.execPath, [tsc, ...args], { cwd: here, encoding: 'utf8' });
  } catch (error) {
    throw new Error(`tsc ${args.join(' ')}\n${error.stdout}${error.stderr}`);
  }
}

/** The .d.ts that tsc makes of the client's JSDoc today. */
export function generate() {
  const out = mkdtempSync(path.join(os.tmpdir(), 'auth-client-dts-'));
  try {
    runTsc([
      '--allowJs', '--declaration', '--emitDeclarationOnly',
      '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck',
      '--outDir', out, client,
    ]);
    return readFileSync(path.join(out, 'auth-client.d.ts'), 'utf8');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(typings, generate());
  console.log(`wrote ${path.relative(process.cwd(), typings)}`);
}
