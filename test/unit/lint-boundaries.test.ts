// The import boundaries of eslint.config.js bite: each zone's rule, run through ESLint's own API
// on a one-line fixture placed (virtually) in the zone, reports the violation, and lets the
// permitted import through. `make lint` runs the same config, so a violation fails it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { repoRoot } from '../support/cluster.js';

const eslint = new ESLint({ cwd: repoRoot });

async function restricted(filePath: string, spec: string): Promise<string[]> {
  const [r] = await eslint.lintText(`import { x } from '${spec}';\nexport const y = x;\n`, { filePath: `${repoRoot}/${filePath}` });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: { zone: string; file: string; bad: string[]; good: string[] }[] = [
  { zone: 'controllers/<kind> ↛ another kind, ↛ operator.ts', file: 'src/controllers/serviceenginegroup/x.ts',
    bad: ['../virtualservice/placement.js', '../cloud/check.js', '../operator.js'], good: ['../model/index.js', '../config.js', './plan.js', '../../runtime/index.js'] },
  { zone: 'controllers/model ↛ a kind, ↛ operator.ts', file: 'src/controllers/model/x.ts',
    bad: ['../serviceengine/status.js', '../operator.js'], good: ['./objects.js', '../config.js', '../../api/index.js'] },
  { zone: 'runtime ↛ controllers, cloud', file: 'src/runtime/x.ts', bad: ['../controllers/model/index.js', '../cloud/index.js'], good: ['./kube.js'] },
  { zone: 'cloud ↛ controllers, sim', file: 'src/cloud/x.ts', bad: ['../controllers/model/index.js', '../sim/index.js'], good: ['./errors.js', '../api/index.js'] },
  { zone: 'sim ↛ operator', file: 'src/sim/x.ts', bad: ['../controllers/model/index.js', '../runtime/index.js', '../cloud/index.js'], good: ['./store.js', '../api/index.js'] },
  { zone: 'operator code ↛ sim', file: 'src/controllers/virtualservice/x.ts', bad: ['../../sim/index.js'], good: [] },
  { zone: 'operator.ts ↛ sim', file: 'src/controllers/operator2.ts', bad: ['../sim/index.js'], good: ['./model/index.js', './serviceengine/controller.js'] },
];

for (const c of cases) {
  test(`import boundary: ${c.zone}`, async () => {
    for (const spec of c.bad) assert.equal((await restricted(c.file, spec)).length, 1, `${c.file} importing ${spec} must be refused`);
    for (const spec of c.good) assert.deepEqual(await restricted(c.file, spec), [], `${c.file} may import ${spec}`);
  });
}
