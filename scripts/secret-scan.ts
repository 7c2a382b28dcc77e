// `make test-secrets` (issue 19, R6): the suite's secrets searched for in every log and dump it left
// under .local/ (and any extra paths given). Prints its figures; exits 1 on any hit, naming file,
// line and the secret's label — never the secret itself.
//   tsx scripts/secret-scan.ts [extra file or dir ...]
import { join } from 'node:path';
import { repoRoot } from '../test/support/cluster.js';
import { scan, suiteSecrets } from '../test/support/secret-scan.js';

const secrets = suiteSecrets(repoRoot);
const t0 = performance.now();
const r = scan([join(repoRoot, '.local'), ...process.argv.slice(2)], secrets, repoRoot);
const ms = Math.round(performance.now() - t0);
console.log(`secret scan: ${r.secrets} secrets (${r.needles} needles incl. encodings and private-key shapes) in ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB, ${ms} ms: ${r.hits.length} hit(s)`);
for (const h of r.hits.slice(0, 50)) console.log(`  ${h.file}:${h.line}: ${h.label} (${h.form})`);
if (r.hits.length > 0) process.exit(1);
