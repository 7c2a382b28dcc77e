import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { generateTypes, outputPath } from '../../scripts/gen-types.js';

it('src/api/types.gen.ts is what `npm run gen` makes of crds/ (run it after changing a CRD)', async () => {
  const committed = readFileSync(outputPath, 'utf8');
  assert.equal(committed, await generateTypes(), 'src/api/types.gen.ts is stale: run npm run gen');
});
