// The Argo CD health check printed in docs/gitops.md, run as printed (read from the page) with
// Lua 5.4 on every kind in each state it can reach (test/support/kstatus-states.ts) and on the
// states before and between status writes. Skips with one line where lua5.4 is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/cluster.js";
import { kstatusCases, type KstatusCase } from "../support/kstatus-states.js";

const LUA = "/usr/bin/lua5.4";

/** The Lua of the `resource.customizations.health...: |` block, unindented. */
function healthScript(): string {
  const page = readFileSync(join(repoRoot, "docs", "gitops.md"), "utf8");
  const m = /resource\.customizations\.health\.lb\.contrail-operator\.io_\*: \|\n((?: {4}.*\n)+)/.exec(page);
  assert.ok(m?.[1] !== undefined, "docs/gitops.md has the health check block");
  return m[1].replace(/^ {4}/gm, "");
}

/** A JSON value as a Lua table constructor. */
function lua(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `{${v.map(lua).join(", ")}}`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `[${JSON.stringify(k)}] = ${lua(x)}`).join(", ")}}`;
}

function argo(objs: readonly unknown[]): { status: string; message: string }[] {
  const program = `local function health(obj)\n${healthScript()}\nend\n` +
    `for _, o in ipairs(${lua(objs)}) do local h = health(o); print(h.status .. "\\t" .. h.message) end\n`;
  return execFileSync(LUA, ["-"], { input: program, encoding: "utf8" }).trimEnd().split("\n").map((l) => {
    const [status = "", message = ""] = l.split("\t");
    return { status, message };
  });
}

const expected = (c: KstatusCase): string => {
  if (c.kind === "VirtualService" && c.name === "degraded") return "Degraded";
  if ((c.kind === "VirtualService" && c.name === "disabled") || (c.kind === "Pool" && c.name === "all-disabled")) return "Suspended";
  return { Current: "Healthy", InProgress: "Progressing", Failed: "Degraded" }[c.verdict];
};

test("the documented Argo CD health check: Healthy, Progressing, Degraded, Suspended for every kind in each state", { skip: !existsSync(LUA) && `${LUA} not installed` }, () => {
  const cases = kstatusCases();
  const got = argo(cases.map((c) => ({ apiVersion: "lb.contrail-operator.io/v1alpha1", kind: c.kind, metadata: { name: c.name, generation: 1 }, status: c.status })));
  assert.deepEqual(got.map((g, i) => `${cases[i]?.kind}/${cases[i]?.name}: ${g.status}`), cases.map((c) => `${c.kind}/${c.name}: ${expected(c)}`));
  const stalled = got[cases.findIndex((c) => c.kind === "ServiceEngineGroup" && c.verdict === "Failed")];
  assert.match(stalled?.message ?? "", /^MaxSEsReached: .*maxSEs/);
});

test("the documented Argo CD health check before the first status write and for an unobserved edit: Progressing", { skip: !existsSync(LUA) && `${LUA} not installed` }, () => {
  const ready = kstatusCases().find((c) => c.kind === "VirtualService" && c.verdict === "Current") as KstatusCase;
  const got = argo([
    { kind: "VirtualService", metadata: { name: "new", generation: 1 } },
    { kind: "VirtualService", metadata: { name: "defaulted", generation: 1 }, status: { observedGeneration: 0 } },
    { kind: "VirtualService", metadata: { name: "edited", generation: 2 }, status: ready.status },
  ]);
  assert.deepEqual(got.map((g) => g.status), ["Progressing", "Progressing", "Progressing"]);
  assert.equal(got[2]?.message, "generation 2 not observed yet (status describes 1)");
});
