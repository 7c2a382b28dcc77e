import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { generateTypes, generateValidators, outputPath, validatorsPath } from '../../scripts/gen-types.js';

it('src/api/types.gen.ts is what `npm run gen` makes of crds/ (run it after changing a CRD)', async () => {
  assert.equal(readFileSync(outputPath, 'utf8'), await generateTypes(), 'src/api/types.gen.ts is stale: run npm run gen');
});

it('src/api/validators.gen.ts is what `npm run gen` makes of crds/ (run it after changing a CRD)', () => {
  assert.ok(readFileSync(validatorsPath, 'utf8') === generateValidators(), 'src/api/validators.gen.ts is stale: run npm run gen');
});
