// docs/troubleshooting.md has a section for every condition reason the controllers write (every
// kind in each state it can reach, test/support/kstatus-states.ts) and names every event reason
// the source records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/cluster.js";
import { kstatusCases } from "../support/kstatus-states.js";

const page = readFileSync(join(repoRoot, "docs", "troubleshooting.md"), "utf8");
/** Reasons of a True condition, and the kstatus conditions' own False reasons: nothing to do. */
const FINE = new Set(["Ready", "Authenticated", "Reachable", "Active", "Attached", "Resolved", "Allocated", "Placed", "OperUp", "AllUp", "Current", "Progressing", "Stalled"]);

test("every condition reason the controllers write has a section (#### Reason) in docs/troubleshooting.md", () => {
  const headings = new Set([...page.matchAll(/^#### (.+)$/gm)].flatMap((m) => (m[1] ?? "").split(" / ").map((r) => r.trim())));
  const reasons = new Set(kstatusCases().flatMap((c) => (c.status.conditions ?? []).filter((x) => x.status !== "True" && !FINE.has(x.reason)).map((x) => x.reason)));
  // Read from the status, explained in the Reconciling/Stalled and VirtualService sections' text.
  for (const r of ["OperInitializing", "OperDown", "OperResources", "Disabled", "NotObserved"]) reasons.delete(r);
  const missing = [...reasons].filter((r) => !headings.has(r)).sort();
  assert.deepEqual(missing, []);
  assert.ok(reasons.size >= 20, `${reasons.size} reasons checked`);
});

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

test("every event reason recorded in src/controllers is explained under Event reasons", () => {
  const files = sources(join(repoRoot, "src", "controllers"));
  const text = files.map((f) => readFileSync(f, "utf8")).join("\n");
  // The event planners (events.ts) declare their reasons as a union type.
  const planners = files.filter((f) => f.endsWith("/events.ts")).map((f) => readFileSync(f, "utf8")).join("\n");
  const reasons = new Set([
    ...[...text.matchAll(/\.record\([^,]+, '(?:Normal|Warning)', '(\w+)'/g)].map((m) => m[1] ?? ""),
    ...[...text.matchAll(/type: '(?:Normal|Warning)', reason: '(\w+)'/g)].map((m) => m[1] ?? ""),
    ...[...planners.matchAll(/reason: '(\w+)' \| '(\w+)'(?: \| '(\w+)')?/g)].flatMap((m) => m.slice(1).filter((x): x is string => x !== undefined)),
  ]);
  const section = page.slice(page.indexOf("## Event reasons"));
  const missing = [...reasons].filter((r) => !new RegExp(`\`${r}\``).test(section)).sort();
  assert.deepEqual(missing, []);
  for (const r of ["AuthenticationFailed", "ScaledOut", "OrphanDeleted", "SECreated", "VSUp"]) assert.ok(reasons.has(r), `found ${r} in the source`);
});
