// The JS modules' TypeScript typings, generated from their JSDoc by tsc (tests/browser's pinned
// typescript): static/js/auth-client.d.ts and static/js/passkeys.d.ts, checked in.
//
//   cd tests/browser && npm ci && npm run typings      regenerates the files after a JSDoc change
//
// typings.test.mjs fails when the checked-in file differs from a fresh generation, and type-checks
// typings/usage.ts against it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const js = path.resolve(here, '..', '..', 'static', 'js');
/** The typed modules: each `static/js/NAME.js` has its `NAME.d.ts` beside it. */
export const modules = ['auth-client.js', 'passkeys.js'].map((name) => path.join(js, name));
export const client = modules[0];
export const typings = client.replace(/\.js$/, '.d.ts');
/** @param {string} module a path in `modules` */
export const typingsOf = (module) => module.replace(/\.js$/, '.d.ts');
const tsc = path.join(here, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs the pinned tsc; throws with its output when it reports errors. */
export function runTsc(args) {
  try {
    return execFileSync(process.execPath, [tsc, ...args], { cwd: here, encoding: 'utf8' });
  } catch (error) {
    throw new Error(`tsc ${args.join(' ')}\n${error.stdout}${error.stderr}`);
  }
}

/** The .d.ts that tsc makes of a module's JSDoc today (the client's by default). */
export function generate(module = client) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'auth-client-dts-'));
  try {
    runTsc([
      '--allowJs', '--declaration', '--emitDeclarationOnly',
      '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck',
      '--outDir', out, module,
    ]);
    return readFileSync(path.join(out, path.basename(typingsOf(module))), 'utf8');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const module of modules) {
    writeFileSync(typingsOf(module), generate(module));
    console.log(`wrote ${path.relative(process.cwd(), typingsOf(module))}`);
  }
}
