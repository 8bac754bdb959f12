import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCpio } from "./cpio";
import { detectPackageType, verifyDetached, verifyPackage, verifySwu } from "./package-verification";

// Real fixtures, made with openssl exactly as vendors (and docs/ddi-protocol.md §2) make them, once per file.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corridor-pkgverify-"));
const f = (name: string) => path.join(dir, name);
const run = (args: string[], input?: Buffer) => execFileSync("openssl", args, { cwd: dir, input, stdio: ["pipe", "pipe", "pipe"] });

const payloadBin = randomBytes(64 * 1024);
const payloadTxt = Buffer.from("hello from the vendor\n");
const postSh = Buffer.from("#!/bin/sh\necho installed\n");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const pem = (name: string) => fs.readFileSync(f(name), "utf8");

function swDescription(over: { binHash?: string; binHashLine?: string; hw?: string } = {}): string {
  return `# sw-description for tests
software =
{
\tversion = "1.2.3";
\tdescription = "Corridor " "test";   // adjacent strings concatenate
\t${over.hw ?? 'hardware-compatibility: [ "1.0" ];'}
\timages: (
\t\t{
\t\t\tfilename = "payload.bin";
\t\t\ttype = "raw";
\t\t\tdevice = "/tmp/raw-target.img";
\t\t\t${over.binHashLine ?? `sha256 = "${over.binHash ?? sha(payloadBin)}";`}
\t\t}
\t);
\tfiles: (
\t\t{ filename = "payload.txt"; path = "/tmp/payload.txt"; sha256 = "${sha(payloadTxt)}"; }
\t);
\tscripts: (
\t\t{ filename = "post.sh"; type = "shellscript"; sha256 = "${sha(postSh).toUpperCase()}"; }
\t);
}
`;
}

let seq = 0;
/** Signs sw-description text with openssl cms (DER, detached) and returns [desc, sig]. */
function sign(desc: string, signer = "signer", extra: string[] = []): [Buffer, Buffer] {
  const n = ++seq;
  fs.writeFileSync(f(`desc-${n}`), desc);
  run(["cms", "-sign", "-in", `desc-${n}`, "-out", `desc-${n}.sig`, "-signer", `${signer}.crt`, "-inkey", `${signer}.key`, "-outform", "DER", "-nosmimecap", "-binary", ...extra]);
  return [Buffer.from(desc), fs.readFileSync(f(`desc-${n}.sig`))];
}

function writeSwu(name: string, files: { name: string; data: Buffer }[], format: "crc" | "newc" = "crc"): string {
  fs.writeFileSync(f(name), buildCpio(files, format));
  return f(name);
}

function standardSwu(name: string, [desc, sig]: [Buffer, Buffer], payload = payloadBin): string {
  return writeSwu(name, [
    { name: "sw-description", data: desc },
    { name: "sw-description.sig", data: sig },
    { name: "payload.bin", data: payload },
    { name: "payload.txt", data: payloadTxt },
    { name: "post.sh", data: postSh },
  ]);
}

beforeAll(() => {
  const rsa = ["-newkey", "rsa:2048"];
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  const selfSigned = (name: string, key: string[], subj: string, ext: string[] = []) =>
    run(["req", "-x509", ...key, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", subj, "-days", "30", ...ext]);
  selfSigned("signer", rsa, "/O=SWUpdate/CN=vendor-signer");
  selfSigned("rogue", ec, "/O=SWUpdate/CN=rogue");
  selfSigned("ca", ec, "/O=Vendor/CN=Vendor Root CA", ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  run(["req", "-new", ...ec, "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/O=Vendor/CN=vendor-release-signing"]);
  fs.writeFileSync(f("leaf.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection,codeSigning\n");
  run(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "4242", "-out", "leaf.crt", "-days", "30", "-extfile", "leaf.ext"]);
  // root (ca) → intermediate → leaf2, with the intermediate only embedded in the CMS
  run(["req", "-new", ...ec, "-nodes", "-keyout", "inter.key", "-out", "inter.csr", "-subj", "/O=Vendor/CN=Vendor Issuing CA"]);
  fs.writeFileSync(f("inter.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n");
  run(["x509", "-req", "-in", "inter.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "7", "-out", "inter.crt", "-days", "30", "-extfile", "inter.ext"]);
  run(["req", "-new", ...ec, "-nodes", "-keyout", "leaf2.key", "-out", "leaf2.csr", "-subj", "/O=Vendor/CN=vendor-line-2"]);
  run(["x509", "-req", "-in", "leaf2.csr", "-CA", "inter.crt", "-CAkey", "inter.key", "-set_serial", "8", "-out", "leaf2.crt", "-days", "30", "-extfile", "leaf.ext"]);
  for (const k of ["ed", "ed-rogue"]) {
    run(["genpkey", "-algorithm", "ed25519", "-out", `${k}.key`]);
    run(["pkey", "-in", `${k}.key`, "-pubout", "-out", `${k}.pub`]);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("verifySwu (UPD-01, UPD-02)", () => {
  it("accepts a well-formed package signed by the pinned self-signed certificate", async () => {
    const file = standardSwu("good.swu", sign(swDescription()));
    const r = await verifySwu(file, [pem("signer.crt")]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.signer.subject).toBe("O=SWUpdate, CN=vendor-signer");
    expect(r.signer.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.version).toBe("1.2.3");
    expect(r.hardwareCompatibility).toEqual(["1.0"]);
    expect(r.images).toEqual([
      { kind: "images", filename: "payload.bin", sha256: sha(payloadBin), size: payloadBin.length, verified: true },
      { kind: "files", filename: "payload.txt", sha256: sha(payloadTxt), size: payloadTxt.length, verified: true },
      { kind: "scripts", filename: "post.sh", sha256: sha(postSh), size: postSh.length, verified: true },
    ]);
    expect(r.unlistedEntries).toEqual([]);
    expect((await detectPackageType(file, "firmware-1.2.3.swu")).type).toBe("swu");
  });

  // GNU cpio comes with `npm test` (scripts/ensure-debian-packages.sh); without it this test fails, never skips.
  it("reads archives written by GNU cpio in both crc and newc formats", async () => {
    const [desc, sig] = sign(swDescription());
    const sub = fs.mkdtempSync(f("cpio-"));
    fs.writeFileSync(path.join(sub, "sw-description"), desc);
    fs.writeFileSync(path.join(sub, "sw-description.sig"), sig);
    fs.writeFileSync(path.join(sub, "payload.bin"), payloadBin);
    fs.writeFileSync(path.join(sub, "payload.txt"), payloadTxt);
    fs.writeFileSync(path.join(sub, "post.sh"), postSh);
    for (const format of ["crc", "newc"]) {
      const out = f(`gnu-${format}.swu`);
      const archive = execFileSync("cpio", ["-o", "--quiet", "-H", format], { cwd: sub, input: "sw-description\nsw-description.sig\npayload.bin\npayload.txt\npost.sh\n" });
      fs.writeFileSync(out, archive);
      const r = await verifySwu(out, [pem("signer.crt")]);
      expect(r.ok ? "ok" : r.reason).toBe("ok");
    }
  });

  it("rejects an unsigned package", async () => {
    const file = writeSwu("unsigned.swu", [
      { name: "sw-description", data: Buffer.from(swDescription()) },
      { name: "payload.bin", data: payloadBin },
      { name: "payload.txt", data: payloadTxt },
      { name: "post.sh", data: postSh },
    ]);
    expect(await verifySwu(file, [pem("signer.crt")])).toEqual({ ok: false, reason: "sw-description is not signed (the package has no sw-description.sig)." });
  });

  it("rejects sw-description.sig in the wrong place and sw-description not first", async () => {
    const [desc, sig] = sign(swDescription());
    const late = writeSwu("late-sig.swu", [
      { name: "sw-description", data: desc },
      { name: "payload.bin", data: payloadBin },
      { name: "sw-description.sig", data: sig },
    ]);
    expect(await verifySwu(late, [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/must be the second entry/) });
    const sigFirst = writeSwu("sig-first.swu", [
      { name: "sw-description.sig", data: sig },
      { name: "sw-description", data: desc },
    ]);
    expect(await verifySwu(sigFirst, [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/sw-description must be the first entry/) });
  });

  it("rejects a signature by a key that is not pinned", async () => {
    const file = standardSwu("wrongsig.swu", sign(swDescription(), "rogue"));
    const r = await verifySwu(file, [pem("signer.crt")]);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/signed by a certificate that is not pinned for this manufacturer/) });
  });

  it("rejects when nothing is pinned", async () => {
    const file = standardSwu("nopin.swu", sign(swDescription()));
    expect(await verifySwu(file, [])).toMatchObject({ ok: false, reason: expect.stringMatching(/No certificates are pinned/) });
  });

  it("rejects a payload changed after signing", async () => {
    const tampered = Buffer.from(payloadBin);
    tampered[1000] = tampered[1000]! ^ 0xff;
    const file = standardSwu("tampered.swu", sign(swDescription()), tampered);
    expect(await verifySwu(file, [pem("signer.crt")])).toEqual({ ok: false, reason: "payload.bin does not match the sha256 in sw-description." });
  });

  it("rejects a validly signed sw-description whose sha256 is wrong", async () => {
    const file = standardSwu("badhash.swu", sign(swDescription({ binHash: "ab".repeat(32) })));
    expect(await verifySwu(file, [pem("signer.crt")])).toEqual({ ok: false, reason: "payload.bin does not match the sha256 in sw-description." });
  });

  it("rejects sw-description changed after signing", async () => {
    const [, sig] = sign(swDescription());
    const file = standardSwu("tampered-desc.swu", [Buffer.from(swDescription().replace("1.2.3", "9.9.9")), sig]);
    expect(await verifySwu(file, [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/^sw-description does not match its signature \(it was changed after it was signed/) });
  });

  it("rejects an all-zero hash, a missing hash and an MD5-only entry", async () => {
    const zero = standardSwu("zerohash.swu", sign(swDescription({ binHash: "0".repeat(64) })));
    expect(await verifySwu(zero, [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/payload.bin has an all-zero sha256/) });
    const md5 = standardSwu("md5.swu", sign(swDescription({ binHashLine: `md5 = "${createHash("md5").update(payloadBin).digest("hex")}";` })));
    expect(await verifySwu(md5, [pem("signer.crt")])).toEqual({ ok: false, reason: "payload.bin has no sha256 in sw-description (md5 is not accepted as proof)." });
    const none = standardSwu("nohash.swu", sign(swDescription({ binHashLine: "" })));
    expect(await verifySwu(none, [pem("signer.crt")])).toEqual({ ok: false, reason: "payload.bin has no sha256 in sw-description." });
  });

  it("rejects a listed payload missing from the archive", async () => {
    const [desc, sig] = sign(swDescription());
    const file = writeSwu("missing.swu", [
      { name: "sw-description", data: desc },
      { name: "sw-description.sig", data: sig },
      { name: "payload.txt", data: payloadTxt },
      { name: "post.sh", data: postSh },
    ]);
    expect(await verifySwu(file, [pem("signer.crt")])).toEqual({ ok: false, reason: "payload.bin is listed in sw-description but is missing from the package." });
  });

  it("rejects CMS signatures made with SHA-1 or MD5 (UPD-02 allow-list)", async () => {
    const sha1 = standardSwu("sha1.swu", sign(swDescription(), "signer", ["-md", "sha1"]));
    expect(await verifySwu(sha1, [pem("signer.crt")])).toEqual({
      ok: false,
      reason: "The signature of sw-description uses the SHA-1 digest algorithm, which is not accepted; SHA-256 or stronger is required.",
    });
    const md5 = standardSwu("md5sig.swu", sign(swDescription(), "signer", ["-md", "md5"]));
    expect(await verifySwu(md5, [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/uses the MD5 digest algorithm/) });
  });

  it("accepts RSA-PSS and signatures without signed attributes", async () => {
    for (const [name, extra] of [
      ["pss.swu", ["-keyopt", "rsa_padding_mode:pss"]],
      ["noattr.swu", ["-noattr"]],
      ["sha512.swu", ["-md", "sha512"]],
    ] as const) {
      const r = await verifySwu(standardSwu(name, sign(swDescription(), "signer", [...extra])), [pem("signer.crt")]);
      expect(r.ok ? "ok" : r.reason, name).toBe("ok");
    }
  });

  it("accepts a signer issued by a pinned CA, and rejects the same package when only the leaf is pinned", async () => {
    const file = standardSwu("ca.swu", sign(swDescription(), "leaf"));
    const r = await verifySwu(file, [pem("signer.crt"), pem("ca.crt")]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.signer.subject).toBe("O=Vendor, CN=vendor-release-signing");
    expect(r.signer.issuer).toBe("O=Vendor, CN=Vendor Root CA");
    // swupdate does not accept a pinned non-self-signed leaf either (docs/ddi-protocol.md §1.4)
    expect(await verifySwu(file, [pem("leaf.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/not pinned for this manufacturer/) });
  });

  it("follows an intermediate CA embedded in the signature up to the pinned root", async () => {
    const file = standardSwu("inter.swu", sign(swDescription(), "leaf2", ["-certfile", "inter.crt"]));
    const r = await verifySwu(file, [pem("ca.crt")]);
    expect(r.ok ? r.signer.issuer : r.reason).toBe("O=Vendor, CN=Vendor Issuing CA");
    const withoutInter = standardSwu("inter-missing.swu", sign(swDescription(), "leaf2"));
    expect(await verifySwu(withoutInter, [pem("ca.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/issued by "O=Vendor, CN=Vendor Issuing CA", which is not pinned/) });
  });

  it("finds a pinned signer certificate that the signature does not embed (-nocerts)", async () => {
    const file = standardSwu("nocerts.swu", sign(swDescription(), "signer", ["-nocerts"]));
    expect((await verifySwu(file, [pem("signer.crt")])).ok).toBe(true);
    expect(await verifySwu(file, [pem("ca.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/does not include the signer's certificate/) });
  });

  it("rejects a signature whose certificates are not valid at the time of verification", async () => {
    const file = standardSwu("expired.swu", sign(swDescription()));
    expect(await verifySwu(file, [pem("signer.crt")], { now: new Date("2100-01-01T00:00:00Z") })).toMatchObject({ ok: false, reason: expect.stringMatching(/expired on/) });
  });

  it("rejects sw-description without hardware-compatibility, and duplicate entries", async () => {
    const nohw = standardSwu("nohw.swu", sign(swDescription({ hw: "" })));
    expect(await verifySwu(nohw, [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/no hardware-compatibility/) });
    const [desc, sig] = sign(swDescription());
    const dup = writeSwu("dup.swu", [
      { name: "sw-description", data: desc },
      { name: "sw-description.sig", data: sig },
      { name: "payload.bin", data: payloadBin },
      { name: "payload.bin", data: randomBytes(10) },
    ]);
    expect(await verifySwu(dup, [pem("signer.crt")])).toEqual({ ok: false, reason: "The package contains payload.bin more than once." });
  });

  it("rejects oversized, truncated and wrong-magic files", async () => {
    const good = standardSwu("size.swu", sign(swDescription()));
    expect(await verifySwu(good, [pem("signer.crt")], { maxBytes: 1024 })).toEqual({ ok: false, reason: "The package is larger than the limit of 1024 bytes." });
    const bytes = fs.readFileSync(good);
    fs.writeFileSync(f("truncated.swu"), bytes.subarray(0, bytes.length - 2000));
    expect(await verifySwu(f("truncated.swu"), [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/not a valid cpio archive: the archive is truncated/) });
    fs.writeFileSync(f("zip.swu"), Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), randomBytes(200)]));
    expect(await verifySwu(f("zip.swu"), [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/it is a ZIP archive, not a cpio archive/) });
    fs.writeFileSync(f("random.swu"), randomBytes(4096));
    expect(await verifySwu(f("random.swu"), [pem("signer.crt")])).toMatchObject({ ok: false, reason: expect.stringMatching(/not a SWUpdate package/) });
  });

  it("streams a large payload", async () => {
    const big = randomBytes(16 * 1024 * 1024);
    const desc = swDescription().replace(sha(payloadBin), sha(big));
    const file = standardSwu("big.swu", sign(desc), big);
    const r = await verifySwu(file, [pem("signer.crt")]);
    expect(r.ok ? r.images[0]!.size : r.reason).toBe(big.length);
  });
});

describe("detectPackageType", () => {
  it("detects by magic bytes and reports a name/bytes mismatch either way", async () => {
    const swu = standardSwu("detect.swu", sign(swDescription()));
    expect(await detectPackageType(swu, "update.swu")).toEqual({ type: "swu", format: "swu", description: "a SWUpdate package" });
    expect((await detectPackageType(swu, "update.bin")).mismatch).toMatch(/is a SWUpdate package but its name does not end in .swu/);
    fs.writeFileSync(f("zip.bin"), Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), randomBytes(100)]));
    const zip = await detectPackageType(f("zip.bin"), "update.swu");
    expect(zip).toMatchObject({ type: "unknown", format: "zip" });
    expect(zip.mismatch).toBe("update.swu is named .swu but is a ZIP archive, not a cpio archive with sw-description as its first entry.");
    const otherCpio = writeSwu("other.cpio", [{ name: "readme", data: Buffer.from("x") }]);
    expect((await detectPackageType(otherCpio, "update.swu")).mismatch).toMatch(/a cpio archive whose first entry is "readme", not sw-description/);
    expect((await detectPackageType(otherCpio, "archive.cpio")).mismatch).toBeUndefined();
    expect((await detectPackageType(f("zip.bin"), "firmware.bin")).mismatch).toBeUndefined();
    expect((await detectPackageType(f("zip.bin"), "firmware.tar.gz")).mismatch).toBe("firmware.tar.gz is named .gz but is a ZIP archive.");
  });
});

describe("verifyDetached", () => {
  const fw = randomBytes(300 * 1024);
  beforeAll(() => {
    fs.writeFileSync(f("fw.bin"), fw);
    run(["cms", "-sign", "-in", "fw.bin", "-out", "fw.cms.der", "-signer", "signer.crt", "-inkey", "signer.key", "-outform", "DER", "-nosmimecap", "-binary"]);
    run(["cms", "-sign", "-in", "fw.bin", "-out", "fw.cms.pem", "-signer", "leaf.crt", "-inkey", "leaf.key", "-outform", "PEM", "-nosmimecap", "-binary"]);
    run(["cms", "-sign", "-in", "fw.bin", "-out", "fw.noattr.der", "-signer", "signer.crt", "-inkey", "signer.key", "-outform", "DER", "-nosmimecap", "-binary", "-noattr"]);
    run(["cms", "-sign", "-in", "fw.bin", "-out", "fw.rogue.der", "-signer", "rogue.crt", "-inkey", "rogue.key", "-outform", "DER", "-nosmimecap", "-binary"]);
    run(["cms", "-sign", "-in", "fw.bin", "-out", "fw.sha1.der", "-signer", "signer.crt", "-inkey", "signer.key", "-outform", "DER", "-nosmimecap", "-binary", "-md", "sha1"]);
    run(["pkeyutl", "-sign", "-rawin", "-inkey", "ed.key", "-in", "fw.bin", "-out", "fw.ed.sig"]);
    run(["pkeyutl", "-sign", "-rawin", "-inkey", "ed-rogue.key", "-in", "fw.bin", "-out", "fw.ed-rogue.sig"]);
    const tampered = Buffer.from(fw);
    tampered[5] = tampered[5]! ^ 1;
    fs.writeFileSync(f("fw-tampered.bin"), tampered);
  });
  const trusted = () => ({ certsPem: [pem("signer.crt"), pem("ca.crt")], ed25519PublicKeysPem: [pem("ed.pub")] });
  const sig = (name: string) => fs.readFileSync(f(name));

  it("accepts detached CMS signatures in DER and PEM, with and without signed attributes", async () => {
    for (const s of ["fw.cms.der", "fw.cms.pem", "fw.noattr.der"]) {
      const r = await verifyDetached(f("fw.bin"), sig(s), trusted());
      expect(r.ok ? { method: r.method, sha256: r.sha256, size: r.size } : r.reason, s).toEqual({ method: "cms", sha256: sha(fw), size: fw.length });
    }
  });

  it("rejects detached CMS by an unpinned key, over changed bytes, or with SHA-1", async () => {
    expect(await verifyDetached(f("fw.bin"), sig("fw.rogue.der"), trusted())).toMatchObject({ ok: false, reason: expect.stringMatching(/^The package is signed by a certificate that is not pinned/) });
    expect(await verifyDetached(f("fw-tampered.bin"), sig("fw.cms.der"), trusted())).toMatchObject({ ok: false, reason: expect.stringMatching(/^The package does not match its signature/) });
    expect(await verifyDetached(f("fw-tampered.bin"), sig("fw.noattr.der"), trusted())).toMatchObject({ ok: false, reason: expect.stringMatching(/^The signature of the package is invalid/) });
    expect(await verifyDetached(f("fw.bin"), sig("fw.sha1.der"), trusted())).toMatchObject({ ok: false, reason: expect.stringMatching(/SHA-1/) });
  });

  it("accepts a raw Ed25519 signature over the file bytes and rejects wrong key, tampering and size", async () => {
    const r = await verifyDetached(f("fw.bin"), sig("fw.ed.sig"), trusted());
    expect(r.ok ? [r.method, r.sha256] : r.reason).toEqual(["ed25519", sha(fw)]);
    const b64 = Buffer.from(sig("fw.ed.sig").toString("base64") + "\n");
    expect((await verifyDetached(f("fw.bin"), b64, trusted())).ok).toBe(true);
    expect(await verifyDetached(f("fw.bin"), sig("fw.ed-rogue.sig"), trusted())).toMatchObject({ ok: false, reason: expect.stringMatching(/does not verify with any key pinned/) });
    expect(await verifyDetached(f("fw-tampered.bin"), sig("fw.ed.sig"), trusted())).toMatchObject({ ok: false, reason: expect.stringMatching(/does not verify with any key pinned/) });
    expect(await verifyDetached(f("fw.bin"), sig("fw.ed.sig"), trusted(), { maxEd25519Bytes: 1024 })).toMatchObject({ ok: false, reason: expect.stringMatching(/detached CMS signature instead/) });
    expect(await verifyDetached(f("fw.bin"), sig("fw.ed.sig"), { certsPem: [], ed25519PublicKeysPem: [pem("signer.crt")] })).toMatchObject({ ok: false, reason: expect.stringMatching(/could not be read|not an Ed25519/) });
  });

  it("rejects garbage signatures", async () => {
    expect(await verifyDetached(f("fw.bin"), Buffer.alloc(0), trusted())).toEqual({ ok: false, reason: "The signature file is empty." });
    expect((await verifyDetached(f("fw.bin"), Buffer.from("hello"), trusted())).ok).toBe(false);
    expect(await verifyDetached(f("fw.bin"), Buffer.from([0x30, 0x82, 0xff, 0xff, 1, 2]), trusted())).toMatchObject({ ok: false, reason: expect.stringMatching(/not a valid CMS signature/) });
  });
});

describe("verifyPackage", () => {
  it("dispatches by magic bytes and refuses name/bytes mismatches", async () => {
    const swu = standardSwu("dispatch.swu", sign(swDescription()));
    const trusted = { certsPem: [pem("signer.crt")], ed25519PublicKeysPem: [pem("ed.pub")] };
    expect(await verifyPackage(swu, { fileName: "update.swu", trusted })).toMatchObject({ ok: true, type: "swu" });
    expect(await verifyPackage(swu, { fileName: "update.img", trusted })).toMatchObject({ ok: false, reason: expect.stringMatching(/name does not end in .swu/) });
    fs.writeFileSync(f("gz.swu"), Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes(100)]));
    expect(await verifyPackage(f("gz.swu"), { fileName: "update.swu", trusted })).toEqual({
      ok: false,
      reason: "update.swu is named .swu but is gzip-compressed data, not a cpio archive with sw-description as its first entry.",
    });
    expect(await verifyPackage(f("fw.bin"), { fileName: "fw.bin", trusted })).toMatchObject({ ok: false, reason: expect.stringMatching(/needs a detached signature/) });
    expect(await verifyPackage(f("fw.bin"), { fileName: "fw.bin", trusted, signature: fs.readFileSync(f("fw.ed.sig")) })).toMatchObject({ ok: true, type: "detached", method: "ed25519" });
  });
});
