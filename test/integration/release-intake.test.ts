import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, quarantinedPackages, releaseSboms } from "@/db/schema";
import { buildCycloneDx } from "@/db/seed/cyclonedx";
import { artifactPath } from "@/lib/services/artifacts/store";
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from "@/lib/services/errors";
import { buildCpio } from "@/lib/services/releases/cpio";
import { attachSbom, createRelease, intakePackage, submitRelease, updateRelease, verifyRelease } from "@/lib/services/releases/intake";
import { listModels, listReleases, releaseDetail, sbomDiffForRelease } from "@/lib/services/releases/queries";
import { addVendorKey } from "@/lib/services/releases/vendor-keys";
import { auditHighWater, auditRowsAfter, caught, createTestDevice, createTestPlace, unique } from "../db";
import {
  closeGov, contentOf, ed25519Package, openGov, releaseIn, releaseInput, releaseRow, sbomBytes, sha256, upload, vendorFor, type Gov,
} from "../release-fixtures";

// Release intake (UPD-01, UPD-02), the SBOM gate at verification (SBM-01, SBM-02, SBM-09), the SBOM diff
// shown to approvers (SBM-10) and vendor scoping. Packages are real: CMS-signed .swu archives made with
// openssl (as vendors make them) and files with detached Ed25519 signatures.

let g: Gov;
const ossl = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "corridor-intake-ossl-"));
const run = (args: string[]) => execFileSync("openssl", args, { cwd: ossl, stdio: ["pipe", "pipe", "pipe"] });
const pem = (name: string) => fs.readFileSync(path.join(ossl, name), "utf8");
let certKeyId: number;

const payload = randomBytes(32 * 1024);

function swDescription(version: string, hashLine = `sha256 = "${sha256(payload)}";`) {
  return `software =
{
\tversion = "${version}";
\thardware-compatibility: [ "A" ];
\timages: (
\t\t{
\t\t\tfilename = "payload.bin";
\t\t\ttype = "raw";
\t\t\tdevice = "/dev/mmcblk0p2";
\t\t\t${hashLine}
\t\t}
\t);
}
`;
}

let signed = 0;
/** The sw-description signed by `signer` (openssl cms, DER, detached), as swupdate expects it. */
function cmsSign(desc: string, signer: "signer" | "rogue"): Buffer {
  const n = ++signed;
  fs.writeFileSync(path.join(ossl, `d${n}`), desc);
  run(["cms", "-sign", "-in", `d${n}`, "-out", `d${n}.sig`, "-signer", `${signer}.crt`, "-inkey", `${signer}.key`, "-outform", "DER", "-nosmimecap", "-binary"]);
  return fs.readFileSync(path.join(ossl, `d${n}.sig`));
}

function swu(version: string, opts: { signer?: "signer" | "rogue" | null; body?: Buffer; hashLine?: string } = {}): Buffer {
  const desc = swDescription(version, opts.hashLine);
  const entries: { name: string; data: Buffer }[] = [{ name: "sw-description", data: Buffer.from(desc) }];
  if (opts.signer !== null) entries.push({ name: "sw-description.sig", data: cmsSign(desc, opts.signer ?? "signer") });
  entries.push({ name: "payload.bin", data: opts.body ?? payload });
  return buildCpio(entries, "crc");
}

beforeAll(async () => {
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "signer.key", "-out", "signer.crt", "-subj", "/O=Test Vendor/CN=release-signing", "-days", "30"]);
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "rogue.key", "-out", "rogue.crt", "-subj", "/O=Rogue/CN=rogue", "-days", "30"]);
  g = await openGov();
  certKeyId = (await addVendorKey(g.admin.ctx, { manufacturerId: g.place.manufacturer.id, label: "Vendor CMS certificate", pem: pem("signer.crt") })).id;
});

afterAll(async () => {
  fs.rmSync(ossl, { recursive: true, force: true });
  await closeGov(g);
});

const artifactRows = async (sha: string) => g.db.select().from(artifacts).where(eq(artifacts.sha256, sha));

describe("UPD-01: intake verification against the pinned vendor keys", () => {
  it("UPD-01: a CMS-signed .swu verifying against the pinned certificate is stored under its sha256 and can reach verified", async () => {
    const version = unique("1.2.");
    const bytes = swu(version);
    const draft = await createRelease(g.submitter.ctx, releaseInput(g, { version }));
    const hw = await auditHighWater(g.db);
    const stored = await intakePackage(g.submitter.ctx, { releaseId: draft.id, fileName: "pump.swu", body: Readable.from([bytes]), artifactDir: g.dir });

    const [artifact] = await artifactRows(sha256(bytes));
    expect(artifact).toMatchObject({ sha256: sha256(bytes), size: bytes.length, uploadedBy: g.submitter.user.id });
    expect(stored.artifactId).toBe(artifact!.id);
    expect(fs.readFileSync(artifactPath(g.dir, sha256(bytes)))).toEqual(bytes);
    expect(stored.filename).toBe("pump.swu");
    expect(stored.packageSigner).toMatchObject({ method: "swu-cms", subject: "O=Test Vendor, CN=release-signing", keyId: certKeyId });
    expect(stored.packageSigner!.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    const rows = await auditRowsAfter(g.db, hw);
    expect(rows.map((r) => r.action)).toEqual(["release.package_verified"]);
    expect(rows[0]!.after).toMatchObject({ filename: "pump.swu", sha256: sha256(bytes), images: [{ filename: "payload.bin", sha256: sha256(payload) }] });

    await attachSbom(g.submitter.ctx, { releaseId: draft.id, filename: "sbom.json", bytes: sbomBytes(sha256(bytes)) });
    await submitRelease(g.submitter.ctx, { releaseId: draft.id });
    const verified = await verifyRelease(g.reviewer.ctx, { releaseId: draft.id });
    expect(verified.state).toBe("verified");
  });

  it("UPD-01: a detached Ed25519 signature by the pinned key is accepted", async () => {
    const draft = await createRelease(g.submitter.ctx, releaseInput(g));
    const pkg = ed25519Package(g);
    const stored = await upload(g, g.submitter.ctx, draft.id, pkg);
    expect(stored.packageSigner).toMatchObject({ method: "ed25519", subject: "Ed25519 public key" });
    expect(stored.packageSigner!.keyId).toEqual(expect.any(Number));
    expect(fs.existsSync(artifactPath(g.dir, pkg.sha256))).toBe(true);
  });

  type Bad = { name: string; fileName: string; bytes: () => Buffer; signature?: () => Buffer; reason: string | RegExp };
  const tampered = Buffer.from(payload);
  tampered[100] = tampered[100]! ^ 0xff;
  const bad: Bad[] = [
    { name: ".swu signed by a key that is not pinned", fileName: "fw.swu", bytes: () => swu("V", { signer: "rogue" }), reason: /signed by a certificate that is not pinned for this manufacturer/ },
    { name: "unsigned .swu", fileName: "fw.swu", bytes: () => swu("V", { signer: null }), reason: "sw-description is not signed (the package has no sw-description.sig)." },
    { name: ".swu whose payload was changed after signing", fileName: "fw.swu", bytes: () => swu("V", { body: tampered }), reason: "payload.bin does not match the sha256 in sw-description." },
    { name: "Ed25519 package signed by another key", fileName: "fw.bin", bytes: () => Buffer.from(payload), signature: () => ed25519Package({ ...g, vendorKey: rogueEd }, Buffer.from(payload)).signature, reason: /^The package's Ed25519 signature does not verify with any key pinned for this manufacturer/ },
    { name: "Ed25519 package with one byte flipped", fileName: "fw.bin", bytes: () => tampered, signature: () => ed25519Package(g, Buffer.from(payload)).signature, reason: /^The package's Ed25519 signature does not verify/ },
    { name: "package without any signature", fileName: "fw.bin", bytes: () => Buffer.from(payload), reason: "fw.bin is not a SWUpdate package, so it needs a detached signature, and none was supplied." },
    { name: "ZIP archive named .swu (type by magic bytes)", fileName: "fw.swu", bytes: () => Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), randomBytes(300)]), reason: "fw.swu is named .swu but is a ZIP archive, not a cpio archive with sw-description as its first entry." },
    { name: ".swu named .bin", fileName: "fw.bin", bytes: () => swu("V"), signature: () => randomBytes(64), reason: /^fw\.bin is a SWUpdate package but its name does not end in \.swu/ },
  ];
  let rogueEd: import("node:crypto").KeyObject;
  beforeAll(async () => {
    rogueEd = (await import("node:crypto")).generateKeyPairSync("ed25519").privateKey;
  });

  for (const c of bad) {
    it(`UPD-01: ${c.name} is rejected with its reason, quarantined, audited and never servable`, async () => {
      // (.swu fixtures say version "V": the signature checks fail before the version is compared.)
      const draft = await createRelease(g.submitter.ctx, releaseInput(g));
      const bytes = c.bytes();
      const hw = await auditHighWater(g.db);
      const err = await caught(() =>
        intakePackage(g.submitter.ctx, { releaseId: draft.id, fileName: c.fileName, signature: c.signature?.(), body: Readable.from([bytes]), artifactDir: g.dir }),
      );
      expect(err).toBeInstanceOf(UnprocessableError);
      expect((err as UnprocessableError).status).toBe(422);
      const reason = (err as Error).message.replace(/^Package rejected and quarantined: /, "");
      expect((err as Error).message).toMatch(/^Package rejected and quarantined: /);
      if (typeof c.reason === "string") expect(reason).toBe(c.reason);
      else expect(reason).toMatch(c.reason);

      // Nothing servable: no artifact row, no file at the content address, the release has no package.
      expect(await artifactRows(sha256(bytes))).toEqual([]);
      expect(fs.existsSync(artifactPath(g.dir, sha256(bytes)))).toBe(false);
      expect(fs.readFileSync(path.join(g.dir, "quarantine", sha256(bytes)))).toEqual(bytes);
      expect(fs.readdirSync(path.join(g.dir, "staging"))).toEqual([]);
      const after = await releaseRow(g.db, draft.id);
      expect([after.artifactId, after.filename, after.packageSigner, after.state]).toEqual([null, null, null, "draft"]);

      const q = await g.db.select().from(quarantinedPackages).where(eq(quarantinedPackages.releaseId, draft.id));
      expect(q).toEqual([expect.objectContaining({ filename: c.fileName, sha256: sha256(bytes), size: bytes.length, reason, uploadedBy: g.submitter.user.id })]);
      const rows = await auditRowsAfter(g.db, hw);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: "release.package_quarantined", outcome: "denied", entityType: "release", entityId: String(draft.id), actorId: String(g.submitter.user.id), reason });
      expect(rows[0]!.after).toEqual({ quarantineId: q[0]!.id, filename: c.fileName, sha256: sha256(bytes), size: bytes.length });

      // A draft without a verified package cannot move on.
      const submit = await caught(() => submitRelease(g.submitter.ctx, { releaseId: draft.id }));
      expect(submit).toBeInstanceOf(ConflictError);
      expect((submit as Error).message).toBe("Upload the vendor-signed package before submitting.");
    });
  }

  it("UPD-02: a .swu whose manifest lists only md5 or sha1 digests is rejected", async () => {
    const md5 = swu("V", { hashLine: `md5 = "${"ab".repeat(16)}";` });
    const sha1 = swu("V", { hashLine: `sha1 = "${"cd".repeat(20)}";` });
    for (const [bytes, weak] of [[md5, "md5"], [sha1, "sha1"]] as const) {
      const draft = await createRelease(g.submitter.ctx, releaseInput(g));
      const err = await caught(() => intakePackage(g.submitter.ctx, { releaseId: draft.id, fileName: "fw.swu", body: Readable.from([bytes]), artifactDir: g.dir }));
      expect(err).toBeInstanceOf(UnprocessableError);
      expect((err as Error).message).toBe(`Package rejected and quarantined: payload.bin has no sha256 in sw-description (${weak} is not accepted as proof).`);
      expect(await artifactRows(sha256(bytes))).toEqual([]);
      expect((await releaseRow(g.db, draft.id)).artifactId).toBeNull();
    }
  });

  it("UPD-01: a package over the size limit is cut off, kept nowhere, and the refusal is audited", async () => {
    const draft = await createRelease(g.submitter.ctx, releaseInput(g));
    const pkg = ed25519Package(g, randomBytes(10_000));
    const hw = await auditHighWater(g.db);
    const err = await caught(() =>
      intakePackage(g.submitter.ctx, { releaseId: draft.id, fileName: pkg.fileName, signature: pkg.signature, body: Readable.from([pkg.bytes]), artifactDir: g.dir, maxBytes: 4096 }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/^The file is larger than the limit of/);
    expect(await artifactRows(pkg.sha256)).toEqual([]);
    expect(fs.existsSync(artifactPath(g.dir, pkg.sha256))).toBe(false);
    expect(fs.existsSync(path.join(g.dir, "quarantine", pkg.sha256))).toBe(false);
    expect((await releaseRow(g.db, draft.id)).artifactId).toBeNull();
    const rows = await auditRowsAfter(g.db, hw);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "release.package_rejected", outcome: "denied", entityId: String(draft.id), reason: (err as Error).message });
  });

  it("UPD-01: oversized uploads leave nothing behind in the staging folder", async () => {
    const dir = fs.mkdtempSync(path.join(g.dir, "oversize-"));
    const draft = await createRelease(g.submitter.ctx, releaseInput(g));
    for (let i = 0; i < 40; i++) {
      const err = await caught(() => intakePackage(g.submitter.ctx, { releaseId: draft.id, fileName: "big.bin", body: Readable.from([randomBytes(10_000)]), artifactDir: dir, maxBytes: 4096 }));
      expect(err).toBeInstanceOf(ValidationError);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(fs.readdirSync(path.join(dir, "staging"))).toEqual([]);
  });

  it("UPD-01: a .swu whose signed version differs from the release is quarantined", async () => {
    const draft = await createRelease(g.submitter.ctx, releaseInput(g, { version: unique("5.0.") }));
    const bytes = swu("9.9.9");
    const err = await caught(() => intakePackage(g.submitter.ctx, { releaseId: draft.id, fileName: "fw.swu", body: Readable.from([bytes]), artifactDir: g.dir }));
    expect(err).toBeInstanceOf(UnprocessableError);
    expect((err as Error).message).toBe(`Package rejected and quarantined: the package says it is version 9.9.9, but this release is ${draft.version}.`);
    expect(await artifactRows(sha256(bytes))).toEqual([]);
  });
});

describe("SBM-01/02/09: verification needs a valid SBOM bound to the package", () => {
  async function refusedVerification(releaseId: number): Promise<string[]> {
    const hw = await auditHighWater(g.db);
    const err = await caught(() => verifyRelease(g.reviewer.ctx, { releaseId }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).status).toBe(409);
    expect(await releaseRow(g.db, releaseId)).toMatchObject({ state: "submitted" });
    const rows = await auditRowsAfter(g.db, hw);
    expect(rows.map((r) => [r.action, r.outcome, r.entityId])).toEqual([["release.verification_failed", "denied", String(releaseId)]]);
    const blockers = (rows[0]!.after as { blockers: string[] }).blockers;
    expect((err as Error).message).toBe(`Verification failed: ${blockers.join(" ")}`);
    return blockers;
  }

  it("SBM-01: without an SBOM the release stays submitted and verify returns 409", async () => {
    const { release } = await releaseIn(g, "submitted", { sbom: null });
    expect(await refusedVerification(release.id)).toEqual(["No SBOM is attached. A release cannot be verified without its software bill of materials."]);
  });

  it("SBM-02: an SBOM with a bad serialNumber fails schema validation and blocks verification", async () => {
    const { release, pkg } = await releaseIn(g, "draft");
    await upload(g, g.submitter.ctx, release.id, pkg);
    const bad = JSON.parse(sbomBytes(pkg.sha256).toString()) as Record<string, unknown>;
    bad.serialNumber = "not-a-uuid";
    await attachSbom(g.submitter.ctx, { releaseId: release.id, filename: "sbom.json", bytes: Buffer.from(JSON.stringify(bad)) });
    await submitRelease(g.submitter.ctx, { releaseId: release.id });
    const blockers = await refusedVerification(release.id);
    expect(blockers).toHaveLength(1);
    expect(blockers[0]).toMatch(/^The SBOM does not follow the official CycloneDX 1\.6 schema: .*serialNumber/);
  });

  it("SBM-02: an SBOM without a timestamp names exactly that NTIA element", async () => {
    const { release, pkg } = await releaseIn(g, "draft");
    await upload(g, g.submitter.ctx, release.id, pkg);
    const doc = JSON.parse(sbomBytes(pkg.sha256).toString()) as { metadata: Record<string, unknown> };
    delete doc.metadata.timestamp;
    await attachSbom(g.submitter.ctx, { releaseId: release.id, filename: "sbom.json", bytes: Buffer.from(JSON.stringify(doc)) });
    await submitRelease(g.submitter.ctx, { releaseId: release.id });
    expect(await refusedVerification(release.id)).toEqual(["The SBOM does not say when it was created (no timestamp in its metadata)."]);
  });

  it("SBM-09: an SBOM describing another file blocks verification; attaching the right one then verifies", async () => {
    const other = "ab".repeat(32);
    const { release, pkg } = await releaseIn(g, "submitted", { sbom: sbomBytes(other) });
    expect(await refusedVerification(release.id)).toEqual([
      `The SBOM describes a different file: its top component hash is ${other.slice(0, 12)}…, the uploaded package is ${pkg.sha256.slice(0, 12)}….`,
    ]);
    await attachSbom(g.submitter.ctx, { releaseId: release.id, filename: "sbom-fixed.json", bytes: sbomBytes(pkg.sha256) });
    expect((await verifyRelease(g.reviewer.ctx, { releaseId: release.id })).state).toBe("verified");
    const sboms = await g.db.select({ filename: releaseSboms.filename }).from(releaseSboms).where(eq(releaseSboms.releaseId, release.id));
    expect(sboms.map((s) => s.filename).sort()).toEqual(["sbom-fixed.json", "sbom.cdx.json"]);
  });

  it("SBM-01: an SBOM cannot be replaced once the release is verified", async () => {
    const { release, pkg } = await releaseIn(g, "verified");
    const err = await caught(() => attachSbom(g.submitter.ctx, { releaseId: release.id, filename: "late.json", bytes: sbomBytes(pkg.sha256) }));
    expect(err).toBeInstanceOf(ConflictError);
  });
});

describe("SBM-10: SBOM diff against the release most installed on the model", () => {
  it("SBM-10: the diff equals the exact expected object", async () => {
    const place = await createTestPlace(g.db);
    const model = place.model;
    // The model's manufacturer is a fresh one: pin the world's Ed25519 key for it too.
    const { publicKeyPem } = await import("@/db/seed/governed-release");
    await addVendorKey(g.admin.ctx, { manufacturerId: place.manufacturer.id, label: "k", pem: publicKeyPem(g.vendorKey) });
    const supplier = "Test maker";
    const comp = (name: string, version: string) => ({ name, version, supplier, purl: `pkg:generic/${name}@${version}` });
    const sbomOf = (version: string, sha: string, components: ReturnType<typeof comp>[], vulns: { id: string; severity: string; affects: string[] }[]) =>
      Buffer.from(JSON.stringify(buildCycloneDx({ name: "Pump", version, supplier, artifactSha256: sha, components, vulnerabilities: vulns })));

    /** A draft release of the model with its package and an SBOM of these components and vulnerabilities. */
    const draftWithSbom = async (version: string, components: ReturnType<typeof comp>[], vulns: { id: string; severity: string; affects: string[] }[]) => {
      const r = await releaseIn(g, "draft", { modelId: model.id, version });
      await upload(g, g.submitter.ctx, r.release.id, r.pkg);
      await attachSbom(g.submitter.ctx, { releaseId: r.release.id, filename: `${version}.json`, bytes: sbomOf(version, r.pkg.sha256, components, vulns) });
      return r;
    };
    const old = await draftWithSbom("7.0.0", [comp("openssl", "3.0.13"), comp("zlib", "1.3.1"), comp("busybox", "1.36.1")], [
      { id: "CVE-2024-0727", severity: "medium", affects: ["openssl"] },
      { id: "CVE-2023-0001", severity: "low", affects: ["busybox"] },
    ]);
    const next = await draftWithSbom("7.1.0", [comp("openssl", "3.0.14"), comp("zlib", "1.3.1"), comp("sqlite", "3.45.1")], [
      { id: "CVE-2024-9999", severity: "high", affects: ["sqlite"] },
      { id: "CVE-2023-0001", severity: "low", affects: ["zlib"] },
    ]);
    // Three devices run 7.0.0, one runs 6.0.0 and one (retired) runs 7.1.0.
    for (let i = 0; i < 3; i++) await createTestDevice(g.db, place, { firmwareVersion: "7.0.0" });
    await createTestDevice(g.db, place, { firmwareVersion: "6.0.0" });
    await createTestDevice(g.db, place, { firmwareVersion: "7.1.0", status: "retired" });

    const result = await sbomDiffForRelease(g.reviewer.ctx, { releaseId: next.release.id });
    const c = (name: string, version: string) => ({ ref: `pkg:generic/${name}@${version}`, name, version, type: "library", supplier, purl: `pkg:generic/${name}@${version}`, cpe: null });
    expect(result).toEqual({
      baselineVersion: "7.0.0",
      baselineDevices: 3,
      diff: {
        added: [c("sqlite", "3.45.1")],
        removed: [c("busybox", "1.36.1")],
        changed: [{ name: "openssl", purlWithoutVersion: "pkg:generic/openssl", from: "3.0.13", to: "3.0.14" }],
        vulnerabilitiesIntroduced: [{ id: "CVE-2024-9999", severity: "high", affects: ["pkg:generic/sqlite@3.45.1"] }],
        vulnerabilitiesFixed: [{ id: "CVE-2024-0727", severity: "medium", affects: ["pkg:generic/openssl@3.0.13"] }],
      },
    });
    // The baseline itself has nothing to compare with.
    expect(await sbomDiffForRelease(g.reviewer.ctx, { releaseId: old.release.id })).toEqual({ baselineVersion: "7.0.0", baselineDevices: 3, diff: null });
  });
});

describe("Vendor scoping: a vendor works only on its own manufacturer's models", () => {
  let ownVendor: Awaited<ReturnType<typeof vendorFor>>;
  let otherVendor: Awaited<ReturnType<typeof vendorFor>>;
  let stranger: Awaited<ReturnType<typeof vendorFor>>;
  let otherPlace: Awaited<ReturnType<typeof createTestPlace>>;
  beforeAll(async () => {
    otherPlace = await createTestPlace(g.db);
    ownVendor = await vendorFor(g.db, g.place.manufacturer.id);
    otherVendor = await vendorFor(g.db, otherPlace.manufacturer.id);
    stranger = await vendorFor(g.db, null);
  });

  it("a vendor creates and edits a draft of its own model, but not once it is submitted", async () => {
    const draft = await createRelease(ownVendor.ctx, releaseInput(g));
    expect(draft).toMatchObject({ state: "draft", createdBy: ownVendor.user.id, modelId: g.place.model.id });
    const edited = await updateRelease(ownVendor.ctx, contentOf(draft, { changeLog: "Vendor's own words." }));
    expect(edited.changeLog).toBe("Vendor's own words.");
    const pkg = ed25519Package(g);
    await upload(g, ownVendor.ctx, draft.id, pkg);
    await attachSbom(ownVendor.ctx, { releaseId: draft.id, filename: "sbom.json", bytes: sbomBytes(pkg.sha256) });
    await submitRelease(ownVendor.ctx, { releaseId: draft.id });
    const err = await caught(() => updateRelease(ownVendor.ctx, contentOf(edited, { changeLog: "Sneaky change after submission." })));
    expect(err).toBeInstanceOf(ConflictError);
    expect((await releaseRow(g.db, draft.id)).changeLog).toBe("Vendor's own words.");
  });

  it("a vendor cannot see, create, edit or upload to another manufacturer's releases", async () => {
    const { release: theirs } = await releaseIn(g, "draft");
    const hidden = await caught(() => releaseDetail(otherVendor.ctx, { releaseId: theirs.id }));
    expect(hidden).toBeInstanceOf(NotFoundError);
    expect((await listReleases(otherVendor.ctx, {})).map((r) => r.id)).not.toContain(theirs.id);
    expect((await listReleases(ownVendor.ctx, {})).map((r) => r.id)).toContain(theirs.id);
    expect((await listModels(otherVendor.ctx, {})).map((m) => m.id)).toEqual([otherPlace.model.id]);

    const create = await caught(() => createRelease(otherVendor.ctx, releaseInput(g)));
    expect(create).toBeInstanceOf(ValidationError);
    expect((create as ValidationError).fieldErrors).toEqual({ modelId: ["Unknown model."] });
    expect(await caught(() => updateRelease(otherVendor.ctx, contentOf(theirs, { changeLog: "Not mine." })))).toBeInstanceOf(NotFoundError);
    const pkg = ed25519Package(g);
    expect(await caught(() => upload(g, otherVendor.ctx, theirs.id, pkg))).toBeInstanceOf(NotFoundError);
    expect(await caught(() => attachSbom(otherVendor.ctx, { releaseId: theirs.id, filename: "x.json", bytes: sbomBytes(pkg.sha256) }))).toBeInstanceOf(NotFoundError);
    expect(await releaseRow(g.db, theirs.id)).toEqual(theirs);
  });

  it("a vendor account bound to no manufacturer sees no release and no model", async () => {
    expect(await listReleases(stranger.ctx, {})).toEqual([]);
    expect(await listModels(stranger.ctx, {})).toEqual([]);
    expect(await caught(() => createRelease(stranger.ctx, releaseInput(g)))).toBeInstanceOf(ValidationError);
  });
});
