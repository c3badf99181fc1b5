// The JS client's typings (static/js/auth-client.d.ts): what tsc makes of the JSDoc today, and
// usable from TypeScript. No browser here, only the pinned tsc (typings.mjs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { generate, modules, runTsc, typings, typingsOf } from './typings.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

test('the checked-in auth-client.d.ts is what tsc generates from the JSDoc', () => {
  const checkedIn = readFileSync(typings, 'utf8');
  assert.equal(
    checkedIn,
    generate(),
    'static/js/auth-client.d.ts is stale: run `npm run typings` in tests/browser and commit it',
  );
});

for (const module of modules.slice(1)) {
  const name = path.basename(typingsOf(module));
  test(`the checked-in ${name} is what tsc generates from the JSDoc`, () => {
    assert.equal(
      readFileSync(typingsOf(module), 'utf8'),
      generate(module),
      `static/js/${name} is stale: run \`npm run typings\` in tests/browser and commit it`,
    );
  });
}

test('a TypeScript program using the passkeys module type-checks against passkeys.d.ts', () => {
  runTsc([
    '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom',
    '--module', 'es2022', '--moduleResolution', 'bundler',
    path.join(here, 'typings', 'passkeys-usage.ts'),
  ]);
});

test('a TypeScript program using the client type-checks against auth-client.d.ts', () => {
  runTsc([
    '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom',
    '--module', 'es2022', '--moduleResolution', 'bundler',
    path.join(here, 'typings', 'usage.ts'),
  ]);
});
