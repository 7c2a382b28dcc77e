// Lint rules: typescript-eslint's recommended set, a ban on `any` outside the JSON boundary, and
// the import boundaries between the layers (STYLE.md "three layers, one direction of imports"):
//   runtime ↛ controllers, cloud (and anything above it)   — generic machinery
//   cloud   ↛ controllers                                  — clients know no reconciler
//   sim     ↔ operator apart                               — the simulator imports none of it, and no
//                                                            operator code imports the simulator
//   controllers/<kind> ↛ controllers/<other kind>, ↛ operator.ts — siblings share only model/
//   controllers/model  ↛ any kind folder, ↛ operator.ts
// test/unit/lint-boundaries.test.ts proves each rule fails `make lint` on a violation.
import tseslint from 'typescript-eslint';

/** One no-restricted-imports rule from [regex, why] pairs (a file gets one such rule: list all). */
const forbid = (...zones) => ['error', { patterns: zones.map(([regex, message]) => ({ regex, message })) }];

const NO_SIM = ['^(\\.\\./)+sim(/|$)', 'the simulator stays apart from the operator: talk to it over HTTP like a real cloud'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.local/**', 'test/envtest/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(['^\\.\\./(controllers|cloud|sim|cli|agent|seapi)(/|$)', 'src/runtime is generic controller machinery: it knows nothing about load balancers or clouds']) },
  },
  {
    files: ['src/cloud/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(['^\\.\\./(controllers|cli|agent)(/|$)', 'src/cloud holds the clients: no reconciler logic'], NO_SIM) },
  },
  {
    files: ['src/sim/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(['^(\\.\\./)+(controllers|runtime|cloud|cli|agent)(/|$)', 'the simulator imports nothing of the operator (shared API types only)']) },
  },
  {
    files: ['src/controllers/*.ts'],
    rules: { 'no-restricted-imports': forbid(NO_SIM) },
  },
  {
    files: ['src/controllers/model/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['^\\.\\./(operator\\.js$|(?!\\.\\./)[^/]+/)', 'controllers/model is below the controllers: it imports no controller folder and not operator.ts'],
        NO_SIM,
      ),
    },
  },
  {
    files: ['src/controllers/*/**/*.ts'],
    ignores: ['src/controllers/model/**'],
    rules: {
      'no-restricted-imports': forbid(
        ['^\\.\\./(operator\\.js$|(?!model/|\\.\\./)[^/]+/)', 'a controller imports only controllers/model (and below), never a sibling controller or operator.ts'],
        NO_SIM,
      ),
    },
  },
);
