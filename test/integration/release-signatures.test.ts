import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { approvalPolicies, deploymentActions, releases, releaseSignatures, users } from "@/db/schema";
import { RELEASE_STATES, type ReleaseState } from "@/lib/domain";
import { assignRelease } from "@/lib/services/deployments/actions";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/services/errors";
import { saveBriefing } from "@/lib/services/releases/briefings";
import { addEvidence, attachSbom, startReview, submitRelease, updateRelease, verifyRelease } from "@/lib/services/releases/intake";
import { computeContentHash, LIFECYCLE } from "@/lib/services/releases/lifecycle";
import { listPolicies, savePolicy } from "@/lib/services/releases/policies";
import { recalledFirmware, releaseDetail } from "@/lib/services/releases/queries";
import { recallRelease, SignatureRefused, signRelease, unlockSigning, withdrawRelease } from "@/lib/services/releases/signatures";
import { auditHighWater, auditRowsAfter, caught, createTestDevice, dbErrorOf, dbNow, TEST_PASSWORD } from "../db";
import {
  anotherModel, BRIEFING, closeGov, contentOf, ed25519Package, openGov, person, releaseAudit, releaseIn, releaseRow, sbomBytes, stateOf, upload, vendorFor,
  type Built, type Gov, type Person,
} from "../release-fixtures";

// Electronic signatures and the release lifecycle: SIG-01/02/03/05/07/09/10, the approval policy, and
// withdrawal / recall stopping updates.

let g: Gov;
beforeAll(async () => {
  g = await openGov();
});
afterAll(async () => {
  // Policies are global: leave none of ours behind for later files sharing a PostgreSQL database.
  await g?.db.delete(approvalPolicies).where(eq(approvalPolicies.criticality, "other"));
  await closeGov(g);
});

const sign = (p: Person, releaseId: number, meaning: "approved" | "rejected" | "reviewed", extra: { password?: string; reason?: string } = {}) =>
  signRelease(p.ctx, { releaseId, meaning, password: extra.password ?? TEST_PASSWORD, ...(extra.reason ? { reason: extra.reason } : {}) });
const detail = (id: number) => releaseDetail(g.reviewer.ctx, { releaseId: id });
const signaturesOf = (id: number) => g.db.select().from(releaseSignatures).where(eq(releaseSignatures.releaseId, id)).orderBy(releaseSignatures.id);
/** Releases in review with the functional evidence the default policy asks for. */
async function reviewable(o: Parameters<typeof releaseIn>[2] = {}): Promise<number> {
  const { release } = await releaseIn(g, "in_review", o);
  await addEvidence(g.reviewer.ctx, { releaseId: release.id, kind: "functional", outcome: "passed", acceptanceCriteria: "Bench.", summary: "Passed." });
  return release.id;
}
const stateChanges = async (id: number, seq = 0) =>
  (await releaseAudit(g.db, id, seq)).filter((r) => r.action === "release.state_changed").map((r) => [(r.before as { state: string }).state, (r.after as { state: string }).state]);

describe("SIG-09: dual control", () => {
  it("SIG-09: the submitter cannot approve or reject their own release (403, audited, no signature)", async () => {
    const id = await reviewable();
    const hw = await auditHighWater(g.db);
    for (const meaning of ["approved", "rejected"] as const) {
      const err = await caught(() => sign(g.submitter, id, meaning, { reason: "mine" }));
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as ForbiddenError).status).toBe(403);
    }
    expect(await signaturesOf(id)).toEqual([]);
    expect(await stateOf(g.db, id)).toBe("in_review");
    const rows = await auditRowsAfter(g.db, hw);
    expect(rows.map((r) => [r.action, r.outcome, r.actorId, (r.after as { reason: string }).reason])).toEqual([
      ["authz.denied", "denied", String(g.submitter.user.id), "submitter_cannot_sign"],
      ["authz.denied", "denied", String(g.submitter.user.id), "submitter_cannot_sign"],
    ]);
  });

  it("SIG-09: one person approving twice counts once: the state stays in review at 1 of 2", async () => {
    const id = await reviewable();
    expect((await sign(g.approvers[0], id, "approved")).state).toBe("in_review");
    const again = await caught(() => sign(g.approvers[0], id, "approved"));
    expect(again).toBeInstanceOf(ConflictError);
    // Even a duplicate row slipped in behind the service (same person, current hash) counts once.
    const row = await releaseRow(g.db, id);
    await g.db.insert(releaseSignatures).values({ releaseId: id, userId: g.approvers[0].user.id, printedName: "Alex Approver", role: "biomed", meaning: "approved", contentHash: row.contentHash });
    const { approval } = await detail(id);
    expect(approval.met).toBe(false);
    expect(approval.approvers.map((a) => a.userId)).toEqual([g.approvers[0].user.id]);
    expect(approval.missing).toEqual(["1 more approver (1 of 2 distinct people have approved)"]);
    expect(await stateOf(g.db, id)).toBe("in_review");
  });

  it("SIG-09: two distinct approvers move the release to approved, with one state_changed row naming them", async () => {
    const id = await reviewable();
    const hw = await auditHighWater(g.db);
    await sign(g.approvers[0], id, "approved");
    expect(await stateOf(g.db, id)).toBe("in_review");
    expect((await sign(g.approvers[1], id, "approved")).state).toBe("approved");
    const changes = (await releaseAudit(g.db, id, hw)).filter((r) => r.action === "release.state_changed");
    expect(changes).toHaveLength(1);
    expect(changes[0]!.before).toEqual({ state: "in_review" });
    expect(changes[0]!.after).toEqual({ state: "approved", approvers: ["Alex Approver", "Bea Approver"] });
  });

  it("SIG-09: two approvals in parallel give exactly one transition", async () => {
    const id = await reviewable();
    const hw = await auditHighWater(g.db);
    const results = await Promise.allSettled([sign(g.approvers[0], id, "approved"), sign(g.approvers[1], id, "approved")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    expect(await stateOf(g.db, id)).toBe("approved");
    expect(await stateChanges(id, hw)).toEqual([["in_review", "approved"]]);
    expect((await signaturesOf(id)).map((s) => s.userId).sort()).toEqual([g.approvers[0].user.id, g.approvers[1].user.id].sort());
  });

  it("SIG-09: with one approval in, two more in parallel: one wins, the other gets 409, one transition", async () => {
    const id = await reviewable();
    await sign(g.approvers[0], id, "approved");
    const hw = await auditHighWater(g.db);
    const results = await Promise.allSettled([sign(g.approvers[1], id, "approved"), sign(g.approvers[2], id, "approved")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConflictError);
    expect(await stateOf(g.db, id)).toBe("approved");
    expect(await stateChanges(id, hw)).toEqual([["in_review", "approved"]]);
    expect(await signaturesOf(id)).toHaveLength(2);
  });
});

describe("SIG-03/SIG-05: re-authentication, failed attempts and lockout", () => {
  it("SIG-03: an empty password is invalid input and a wrong one is refused (401); neither signs", async () => {
    const id = await reviewable();
    const hw = await auditHighWater(g.db);
    const empty = await caught(() => sign(g.approvers[0], id, "approved", { password: "" }));
    expect(empty).toBeInstanceOf(ValidationError);
    expect((empty as ValidationError).fieldErrors).toEqual({ password: ["Enter your password to sign."] });
    expect(await auditRowsAfter(g.db, hw)).toEqual([]);
    const wrong = await caught(() => sign(g.approvers[0], id, "approved", { password: "not my password" }));
    expect(wrong).toBeInstanceOf(SignatureRefused);
    expect((wrong as SignatureRefused).status).toBe(401);
    expect(await signaturesOf(id)).toEqual([]);
    const rows = await auditRowsAfter(g.db, hw);
    expect(rows.map((r) => [r.action, r.outcome, r.actorId, r.entityId])).toEqual([["signature.password_rejected", "denied", String(g.approvers[0].user.id), String(id)]]);
    expect(rows[0]!.after).toEqual({ failures: 1 });
    // A correct signature afterwards works and resets the count.
    expect((await sign(g.approvers[0], id, "approved")).signature.meaning).toBe("approved");
  });

  it("SIG-05: five wrong passwords lock signing (signature.lockout); an administrator's unlock lifts it", async () => {
    const id = await reviewable();
    const careless = await person(g.db, "biomed", "Carl Careless");
    const hw = await auditHighWater(g.db);
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) messages.push(((await caught(() => sign(careless, id, "reviewed", { password: `wrong ${i}` }))) as Error).message);
    expect(messages.slice(0, 4)).toEqual(Array(4).fill("Wrong password: the signature was not applied."));
    expect(messages[4]).toBe("Wrong password. Signing is now locked for your account; an administrator must unlock it.");
    const rows = await auditRowsAfter(g.db, hw);
    expect(rows.map((r) => [r.action, (r.after as { failures: number }).failures])).toEqual([
      ["signature.password_rejected", 1], ["signature.password_rejected", 2], ["signature.password_rejected", 3], ["signature.password_rejected", 4], ["signature.lockout", 5],
    ]);

    const locked = await caught(() => sign(careless, id, "reviewed"));
    expect(locked).toBeInstanceOf(ForbiddenError);
    expect((locked as Error).message).toMatch(/^Signing is locked for your account after 5 wrong passwords/);
    expect(await signaturesOf(id)).toEqual([]);

    const notLocked = await caught(() => unlockSigning(g.admin.ctx, { userId: g.approvers[1].user.id }));
    expect(notLocked).toBeInstanceOf(ConflictError);
    const before = await auditHighWater(g.db);
    await unlockSigning(g.admin.ctx, { userId: careless.user.id });
    const unlocked = await auditRowsAfter(g.db, before);
    expect(unlocked.map((r) => [r.action, r.entityType, r.entityId, r.actorId])).toEqual([["signature.unlocked", "user", String(careless.user.id), String(g.admin.user.id)]]);
    expect((await sign(careless, id, "reviewed")).signature).toMatchObject({ meaning: "reviewed", userId: careless.user.id });
  });
});

describe("SIG-05: a disabled account cannot sign", () => {
  it("SIG-05: deactivating the account blocks signing at once, even with the right password", async () => {
    const id = await reviewable();
    const leaver = await person(g.db, "biomed", "Lee Leaver");
    await g.db.update(users).set({ active: false }).where(eq(users.id, leaver.user.id));
    const err = await caught(() => sign(leaver, id, "approved"));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as Error).message).toBe("This account is disabled.");
    expect(await signaturesOf(id)).toEqual([]);
  });
});

describe("ROL-14: provenance of an approved release", () => {
  it("ROL-14: the release detail links vendor key, verified package, SBOM, evidence and approvals", async () => {
    const { release, pkg } = await releaseIn(g, "approved");
    const d = await detail(release.id);
    expect(d.release.packageSigner).toMatchObject({ method: "ed25519", keyId: expect.any(Number) });
    expect(d.pinnedKey).toEqual({ label: "Test vendor Ed25519", retiredAt: null });
    expect(d.artifact).toEqual({ sha256: pkg.sha256, size: pkg.bytes.length });
    expect(d.sbom).toMatchObject({ report: { schemaValid: true, ntiaMissing: [], topComponent: { sha256: pkg.sha256 } } });
    expect(d.evidence.map((e) => [e.kind, e.outcome, e.authorName])).toEqual([["functional", "passed", "Rita Reviewer"]]);
    expect(d.approval).toMatchObject({ met: true, missing: [] });
    expect(d.approval.approvers.map((a) => a.printedName)).toEqual(["Alex Approver", "Bea Approver"]);
    expect([d.createdByName, d.submittedByName, d.contentHashIntact]).toEqual(["Sam Submitter", "Sam Submitter", true]);
  });
});

describe("SIG-01: signature manifestation", () => {
  it("SIG-01: printed name, meaning and database time are stored, and survive a later change of display name", async () => {
    const id = await reviewable();
    const hw = await auditHighWater(g.db);
    const { signature } = await sign(g.approvers[2], id, "approved");
    const now = await dbNow(g.db);
    expect(signature).toMatchObject({ printedName: "Cy Security", role: "security", meaning: "approved", userId: g.approvers[2].user.id });
    expect(Math.abs(signature.signedAt.getTime() - now)).toBeLessThan(2_000);
    const [audit] = (await auditRowsAfter(g.db, hw)).filter((r) => r.action === "release.signed");
    expect(audit!.after).toMatchObject({ signatureId: signature.id, meaning: "approved", meaningLabel: "Approved for release", printedName: "Cy Security", role: "security" });

    await g.db.update(users).set({ displayName: "Cyrus Renamed" }).where(eq(users.id, g.approvers[2].user.id));
    try {
      const [stored] = await g.db.select().from(releaseSignatures).where(eq(releaseSignatures.id, signature.id));
      expect(stored).toEqual(signature);
      expect((await detail(id)).approval.approvers).toEqual([{ userId: g.approvers[2].user.id, printedName: "Cy Security", role: "security" }]);
    } finally {
      await g.db.update(users).set({ displayName: "Cy Security" }).where(eq(users.id, g.approvers[2].user.id));
    }
  });

  it("SIG-01: the signing time comes from the database clock, whatever the writer supplies", async () => {
    const id = await reviewable();
    const row = await releaseRow(g.db, id);
    const [inserted] = await g.db
      .insert(releaseSignatures)
      .values({ releaseId: id, userId: g.reviewer.user.id, printedName: "Rita Reviewer", role: "biomed", meaning: "reviewed", contentHash: row.contentHash, signedAt: new Date("2001-01-01T00:00:00Z") })
      .returning();
    expect(Math.abs(inserted!.signedAt.getTime() - (await dbNow(g.db)))).toBeLessThan(2_000);
  });
});

describe("SIG-02: signatures bind to the content they signed", () => {
  it("SIG-02: editing the change log of an approved release makes its signatures stale and sends it back to review", async () => {
    const { release } = await releaseIn(g, "approved");
    const hw = await auditHighWater(g.db);
    const edited = await updateRelease(g.reviewer.ctx, contentOf(release, { changeLog: "Also fixes the battery gauge." }));
    expect(edited.state).toBe("in_review");
    expect(edited.contentHash).not.toBe(release.contentHash);
    expect(edited.contentHash).toBe(await computeContentHash(g.db, release.id));
    const rows = await releaseAudit(g.db, release.id, hw);
    expect(rows.map((r) => r.action)).toEqual(["release.updated", "release.state_changed"]);
    expect(rows[0]!.before).toMatchObject({ changeLog: release.changeLog });
    expect(rows[0]!.after).toMatchObject({ changeLog: "Also fixes the battery gauge." });
    expect(rows[1]!.before).toEqual({ state: "approved" });
    expect(rows[1]!.after).toEqual({ state: "in_review", cause: "signed content changed" });

    const { approval, contentHashIntact } = await detail(release.id);
    expect(contentHashIntact).toBe(true);
    expect(approval.signatures.map((s) => [s.meaning, s.status])).toEqual([["approved", "stale"], ["approved", "stale"]]);
    expect(approval.approvers).toEqual([]);
    // The same two people approve the new content: approved again.
    await sign(g.approvers[0], release.id, "approved");
    expect((await sign(g.approvers[1], release.id, "approved")).state).toBe("approved");
  });

  it("SIG-02: a signature row carrying another release's hash is rejected by the database", async () => {
    const a = await releaseRow(g.db, await reviewable());
    const b = await releaseRow(g.db, await reviewable());
    expect(a.contentHash).not.toBe(b.contentHash);
    const err = await caught(() =>
      g.db.insert(releaseSignatures).values({ releaseId: b.id, userId: g.approvers[0].user.id, printedName: "Alex Approver", role: "biomed", meaning: "approved", contentHash: a.contentHash }),
    );
    expect(dbErrorOf(err)).toMatchObject({ code: "23514", message: expect.stringMatching(`signature content hash does not match release ${b.id}`) });
    expect(await signaturesOf(b.id)).toEqual([]);
  });

  it("SIG-02: every stored content hash matches a recomputation", async () => {
    const rows = await g.db.select({ id: releases.id, contentHash: releases.contentHash }).from(releases);
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) expect(await computeContentHash(g.db, r.id), `release ${r.id}`).toBe(r.contentHash);
  });
});

describe("SIG-10: signatures are immutable; revoking is a new signature", () => {
  it("SIG-10: UPDATE and DELETE on release_signatures fail", async () => {
    const id = await reviewable();
    const { signature } = await sign(g.approvers[0], id, "approved");
    const upd = await caught(() => g.db.update(releaseSignatures).set({ printedName: "Someone Else" }).where(eq(releaseSignatures.id, signature.id)));
    expect(dbErrorOf(upd).message).toMatch(/release_signatures is append-only: UPDATE is not allowed/);
    const del = await caught(() => g.db.delete(releaseSignatures).where(eq(releaseSignatures.id, signature.id)));
    expect(dbErrorOf(del).message).toMatch(/release_signatures is append-only: DELETE is not allowed/);
    expect(await signaturesOf(id)).toEqual([signature]);
  });

  it("SIG-10: revoking an approval adds a revoked row that references it; the original stays; the release returns to review", async () => {
    const { release } = await releaseIn(g, "approved");
    const [first] = await signaturesOf(release.id);
    const byOther = await caught(() => signRelease(g.approvers[1].ctx, { releaseId: release.id, meaning: "revoked", password: TEST_PASSWORD, revokesId: first!.id }));
    expect(byOther).toBeInstanceOf(NotFoundError);
    const hw = await auditHighWater(g.db);
    const { signature, state } = await signRelease(g.approvers[0].ctx, { releaseId: release.id, meaning: "revoked", password: TEST_PASSWORD, revokesId: first!.id, reason: "Signed the wrong release." });
    expect(state).toBe("in_review");
    expect(signature).toMatchObject({ meaning: "revoked", revokesId: first!.id, userId: g.approvers[0].user.id, reason: "Signed the wrong release." });
    const all = await signaturesOf(release.id);
    expect(all).toHaveLength(3);
    expect(all[0]).toEqual(first);
    expect((await detail(release.id)).approval.signatures.map((s) => [s.id, s.meaning, s.status])).toEqual([
      [first!.id, "approved", "revoked"], [all[1]!.id, "approved", "valid"], [signature.id, "revoked", "valid"],
    ]);
    expect(await stateChanges(release.id, hw)).toEqual([["approved", "in_review"]]);
    const twice = await caught(() => signRelease(g.approvers[0].ctx, { releaseId: release.id, meaning: "revoked", password: TEST_PASSWORD, revokesId: first!.id }));
    expect(twice).toBeInstanceOf(ConflictError);
  });
});

describe("SIG-07: no step can be skipped", () => {
  const built = {} as Record<ReleaseState, Built>;
  let vendor: Person;
  beforeAll(async () => {
    for (const s of RELEASE_STATES) built[s] = await releaseIn(g, s);
    vendor = await vendorFor(g.db, g.place.manufacturer.id);
  });

  const EDITABLE: ReleaseState[] = ["draft", "submitted", "verified", "in_review", "approved"];
  const OPS: { name: string; allowed: ReleaseState[]; run: (b: Built) => Promise<unknown> }[] = [
    { name: "submit", allowed: ["draft"], run: (b) => submitRelease(g.submitter.ctx, { releaseId: b.release.id }) },
    { name: "verify", allowed: ["submitted"], run: (b) => verifyRelease(g.reviewer.ctx, { releaseId: b.release.id }) },
    { name: "start_review", allowed: ["verified"], run: (b) => startReview(g.reviewer.ctx, { releaseId: b.release.id }) },
    { name: "sign approved", allowed: ["in_review"], run: (b) => sign(g.approvers[2], b.release.id, "approved") },
    { name: "sign rejected", allowed: ["in_review"], run: (b) => sign(g.approvers[2], b.release.id, "rejected", { reason: "No." }) },
    { name: "sign reviewed", allowed: ["verified", "in_review"], run: (b) => sign(g.approvers[2], b.release.id, "reviewed") },
    { name: "withdraw", allowed: ["approved"], run: (b) => withdrawRelease(g.admin.ctx, { releaseId: b.release.id, password: TEST_PASSWORD, reason: "x" }) },
    { name: "recall", allowed: ["approved"], run: (b) => recallRelease(g.admin.ctx, { releaseId: b.release.id, password: TEST_PASSWORD, reason: "x" }) },
    { name: "attachSbom", allowed: ["draft", "submitted"], run: (b) => attachSbom(g.submitter.ctx, { releaseId: b.release.id, filename: "s.json", bytes: sbomBytes(b.pkg.sha256) }) },
    { name: "intakePackage", allowed: ["draft"], run: (b) => upload(g, g.submitter.ctx, b.release.id, ed25519Package(g)) },
    { name: "updateRelease (vendor)", allowed: ["draft"], run: (b) => updateRelease(vendor.ctx, contentOf(b.release, { changeLog: "Vendor edit." })) },
    { name: "updateRelease (hospital staff)", allowed: EDITABLE, run: (b) => updateRelease(g.reviewer.ctx, contentOf(b.release, { changeLog: "Staff edit." })) },
    { name: "addEvidence", allowed: ["submitted", "verified", "in_review", "approved"], run: (b) => addEvidence(g.reviewer.ctx, { releaseId: b.release.id, kind: "security", outcome: "passed", acceptanceCriteria: "a", summary: "b" }) },
    { name: "saveBriefing", allowed: EDITABLE, run: (b) => saveBriefing(g.reviewer.ctx, { releaseId: b.release.id, ...BRIEFING, staffActions: "Edited." }) },
  ];

  it("SIG-07: the service lifecycle table is exactly the documented one", () => {
    expect(LIFECYCLE).toEqual({
      draft: ["submitted"], submitted: ["verified"], verified: ["in_review"], in_review: ["approved", "rejected"],
      approved: ["withdrawn", "recalled", "in_review"], rejected: [], withdrawn: [], recalled: [],
    });
  });

  it("SIG-07: the fixtures really are in every state", async () => {
    for (const s of RELEASE_STATES) expect(await stateOf(g.db, built[s].release.id)).toBe(s);
  });

  for (const op of OPS) {
    for (const state of RELEASE_STATES.filter((s) => !op.allowed.includes(s))) {
      it(`SIG-07: ${op.name} on a ${state} release is refused with 409 and changes nothing`, async () => {
        const b = built[state];
        const before = await releaseRow(g.db, b.release.id);
        const sigs = await signaturesOf(b.release.id);
        const hw = await auditHighWater(g.db);
        const err = await caught(() => op.run(b));
        expect(err).toBeInstanceOf(ConflictError);
        expect((err as ConflictError).status).toBe(409);
        expect(await releaseRow(g.db, b.release.id)).toEqual(before);
        expect(await signaturesOf(b.release.id)).toEqual(sigs);
        expect(await auditRowsAfter(g.db, hw)).toEqual([]);
      });
    }
  }

  it("SIG-07: the database trigger allows exactly the lifecycle's steps, whoever writes the row", async () => {
    class Rollback extends Error {}
    const allowedByDb: Record<string, string[]> = {};
    for (const from of RELEASE_STATES) {
      allowedByDb[from] = [];
      for (const to of RELEASE_STATES.filter((t) => t !== from)) {
        const ok = await g.db
          .transaction(async (tx) => {
            await tx.update(releases).set({ state: to }).where(eq(releases.id, built[from].release.id));
            throw new Rollback();
          })
          .then(
            () => false,
            (e: unknown) => {
              if (e instanceof Rollback) return true;
              expect(dbErrorOf(e)).toMatchObject({ code: "23514", message: expect.stringContaining(`cannot go from ${from} to ${to}`) });
              return false;
            },
          );
        if (ok) allowedByDb[from].push(to);
      }
      expect(await stateOf(g.db, built[from].release.id)).toBe(from);
    }
    expect(allowedByDb).toEqual(Object.fromEntries(RELEASE_STATES.map((s) => [s, [...LIFECYCLE[s]].sort((a, b) => RELEASE_STATES.indexOf(a) - RELEASE_STATES.indexOf(b))])));
  });

  it("SIG-07: a release cannot be inserted in any state but draft", async () => {
    const err = await caught(() =>
      g.db.execute(sql`INSERT INTO releases (model_id, version, security_version, hardware_revisions, state) VALUES (${g.place.model.id}, 'skip-1', 1, ARRAY['A'], 'approved')`),
    );
    expect(dbErrorOf(err).message).toMatch(/a release starts as a draft, not approved/);
  });

  it("SIG-07: an unapproved release cannot be assigned, through the service or straight into deployment_actions", async () => {
    const device = await createTestDevice(g.db, g.place);
    for (const s of ["draft", "submitted", "verified", "in_review", "rejected", "withdrawn", "recalled"] as const) {
      const err = await caught(() => assignRelease(g.reviewer.ctx, { deviceId: device.id, releaseId: built[s].release.id }));
      expect(err, s).toBeInstanceOf(ConflictError);
      const direct = await caught(() => g.db.insert(deploymentActions).values({ deviceId: device.id, releaseId: built[s].release.id, previousVersion: "1.0.0" }));
      expect(dbErrorOf(direct).message).toMatch(new RegExp(`release ${built[s].release.id} is not approved`));
    }
    expect(await g.db.select().from(deploymentActions).where(eq(deploymentActions.deviceId, device.id))).toEqual([]);
    // The approved one can.
    expect(await assignRelease(g.reviewer.ctx, { deviceId: device.id, releaseId: built.approved.release.id })).toMatchObject({ state: "scheduled" });
  });

  it("SIG-07: every transition on the way writes release.state_changed with before and after", async () => {
    const { release } = await releaseIn(g, "withdrawn");
    expect(await stateChanges(release.id)).toEqual([
      ["draft", "submitted"], ["submitted", "verified"], ["verified", "in_review"], ["in_review", "approved"], ["approved", "withdrawn"],
    ]);
    const rejected = await releaseIn(g, "rejected");
    expect(await stateChanges(rejected.release.id)).toEqual([["draft", "submitted"], ["submitted", "verified"], ["verified", "in_review"], ["in_review", "rejected"]]);
  });
});

describe("Withdrawal and recall stop open updates", () => {
  it("SIG-07: withdrawing cancels untouched updates and asks devices to cancel started ones", async () => {
    const { release } = await releaseIn(g, "approved");
    const actions = [];
    for (let i = 0; i < 3; i++) actions.push(await assignRelease(g.reviewer.ctx, { deviceId: (await createTestDevice(g.db, g.place)).id, releaseId: release.id }));
    await g.db.update(deploymentActions).set({ state: "downloading", feedbackCount: 1 }).where(eq(deploymentActions.id, actions[2]!.id));
    const hw = await auditHighWater(g.db);
    const { state, signature } = await withdrawRelease(g.admin.ctx, { releaseId: release.id, password: TEST_PASSWORD, reason: "Vendor field notice." });
    expect(state).toBe("withdrawn");
    expect(signature).toMatchObject({ meaning: "withdrawn", printedName: "Ada Admin", reason: "Vendor field notice." });
    const rows = await g.db.select({ id: deploymentActions.id, state: deploymentActions.state }).from(deploymentActions).where(eq(deploymentActions.releaseId, release.id)).orderBy(deploymentActions.id);
    expect(rows.map((r) => r.state)).toEqual(["canceled", "canceled", "cancel_requested"]);
    const audit = await releaseAudit(g.db, release.id, hw);
    expect(audit.map((r) => r.action)).toEqual(["release.signed", "release.state_changed", "deployment.cancel_for_release"]);
    expect(audit[1]!.reason).toBe("Vendor field notice.");
    expect(audit[2]!.after).toEqual({ canceled: 2, cancelRequested: 1 });
    const spare = await createTestDevice(g.db, g.place);
    const err = await caught(() => assignRelease(g.reviewer.ctx, { deviceId: spare.id, releaseId: release.id }));
    expect(err).toBeInstanceOf(ConflictError);
  });

  it("SIG-07: recalling cancels open updates and flags the devices running the release", async () => {
    const { release } = await releaseIn(g, "approved");
    const running = await createTestDevice(g.db, g.place, { firmwareVersion: release.version });
    const other = await createTestDevice(g.db, g.place);
    const action = await assignRelease(g.reviewer.ctx, { deviceId: other.id, releaseId: release.id });
    expect((await detail(release.id)).devicesRunning).toBe(1);
    expect(await recalledFirmware(g.db, [running.id, other.id])).toEqual(new Set());
    const { state } = await recallRelease(g.admin.ctx, { releaseId: release.id, password: TEST_PASSWORD, reason: "Dose calculation error." });
    expect(state).toBe("recalled");
    const [row] = await g.db.select().from(deploymentActions).where(eq(deploymentActions.id, action.id));
    expect(row!.state).toBe("canceled");
    const d = await detail(release.id);
    expect([d.release.state, d.devicesRunning, d.deployments]).toEqual(["recalled", 1, { total: 1, succeeded: 0, open: 0 }]);
    expect(await recalledFirmware(g.db, [running.id, other.id])).toEqual(new Set([running.id]));
  });
});

describe("Approval policy (SIG-09 threshold per risk class)", () => {
  let modelId: number;
  beforeAll(async () => {
    modelId = (await anotherModel(g, "other")).id;
  });
  const policy = (riskClass: "recall_remediation" | "security" | "safety_critical", over: Record<string, unknown> = {}) =>
    savePolicy(g.admin.ctx, { criticality: "other", riskClass, requiredRoles: ["biomed"], minSigners: 2, requiredEvidence: ["functional"], maxIssueSeverity: "medium", ...over });

  it("a saved policy with three signers needs a third approver", async () => {
    await policy("recall_remediation", { minSigners: 3 });
    const listed = (await listPolicies(g.reviewer.ctx, {})).find((p) => p.criticality === "other" && p.riskClass === "recall_remediation");
    expect(listed).toMatchObject({ minSigners: 3, isDefault: false });
    const id = await reviewable({ modelId, riskClass: "recall_remediation" });
    await sign(g.approvers[0], id, "approved");
    expect((await sign(g.approvers[1], id, "approved")).state).toBe("in_review");
    expect((await detail(id)).approval.missing).toEqual(["1 more approver (2 of 3 distinct people have approved)"]);
    expect((await sign(g.approvers[2], id, "approved")).state).toBe("approved");
  });

  it("missing required evidence blocks approval", async () => {
    await policy("security", { requiredEvidence: ["functional", "lab_sandbox"] });
    const id = await reviewable({ modelId, riskClass: "security" });
    await sign(g.approvers[0], id, "approved");
    expect((await sign(g.approvers[1], id, "approved")).state).toBe("in_review");
    expect((await detail(id)).approval.missing).toEqual(["passing lab / sandbox trial evidence"]);
  });

  it("a known issue worse than the policy allows blocks approval", async () => {
    await policy("safety_critical", { maxIssueSeverity: "low" });
    const id = await reviewable({ modelId, riskClass: "safety_critical", knownIssues: [{ severity: "medium", symptom: "Screen flickers", workaround: "None" }] });
    await sign(g.approvers[0], id, "approved");
    expect((await sign(g.approvers[1], id, "approved")).state).toBe("in_review");
    expect((await detail(id)).approval.missing).toEqual(["known issues no worse than low (this release lists a medium one)"]);
  });

  it("a policy can only require roles that may sign", async () => {
    const err = await caught(() => policy("security", { requiredRoles: ["clinician"] }));
    expect(err).toBeInstanceOf(ValidationError);
    const [row] = await g.db.select().from(approvalPolicies).where(and(eq(approvalPolicies.criticality, "other"), eq(approvalPolicies.riskClass, "security")));
    expect(row!.requiredRoles).toEqual(["biomed"]);
  });
});


