// The renderer's golden fixtures (testdata/<name>.json → <name>.cfg), shared by the pure golden
// test (render.test.ts) and the check of every golden by the real parser (test/agent/golden.test.ts).
import { readdirSync } from 'node:fs';
import type { RenderPaths } from './render.js';

export const GOLDEN_DIR = new URL('./testdata/', import.meta.url).pathname;
/** The state dir the goldens are rendered for (the agent's default). */
export const GOLDEN_STATE_DIR = '/var/lib/contrail-lb-se';
export const GOLDEN_PATHS: RenderPaths = {
  statsSocket: `${GOLDEN_STATE_DIR}/stats.sock`,
  serverStateFile: `${GOLDEN_STATE_DIR}/server-state`,
  idleSocket: `${GOLDEN_STATE_DIR}/idle.sock`,
  tlsDir: `${GOLDEN_STATE_DIR}/tls`,
};

export function goldenNames(): string[] {
  return readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}
