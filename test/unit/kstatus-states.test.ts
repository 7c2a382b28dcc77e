// The kstatus fixture (test/support/kstatus-states.ts) as our own rules read it; the integration
// test holds the same objects to the real kstatus library on a real kube-apiserver.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findCondition } from "../../src/api/index.js";
import { kstatusVerdict } from "../../src/controllers/model/index.js";
import { kstatusCases } from "../support/kstatus-states.js";

test("every kind reaches Current, InProgress and Failed, and Reconciling/Stalled say so", () => {
  const cases = kstatusCases();
  for (const kind of ["Cloud", "ServiceEngineGroup", "ServiceEngine", "Pool", "VirtualService"]) {
    const states = new Set(cases.filter((c) => c.kind === kind).map((c) => c.verdict));
    // A Cloud is checked in one go: it has nothing in between Ready and a failure.
    const want = kind === "Cloud" ? ["Current", "Failed"] : ["Current", "Failed", "InProgress"];
    assert.deepEqual([...states].sort(), want, kind);
  }
  for (const c of cases) {
    const what = `${c.kind}/${c.name}`;
    assert.equal(kstatusVerdict(c.kind, c.status.conditions).state, c.verdict, what);
    const reconciling = findCondition(c.status.conditions, "Reconciling");
    const stalled = findCondition(c.status.conditions, "Stalled");
    assert.equal(reconciling?.status, c.verdict === "InProgress" ? "True" : "False", what);
    assert.equal(stalled?.status, c.verdict === "Failed" ? "True" : "False", what);
    assert.equal(stalled?.observedGeneration, 1, what);
  }
});
