import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signManifest, type ManifestPayload } from "@/lib/services/ddi/manifest";
import { checkDownload, keyIdOf, parseDeployment, refusalKind, verifyManifest, type Offer } from "./verify";

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return { privateKey, publicKeyPem, keyId: keyIdOf(publicKeyPem) };
}

const key = keyPair();
const now = new Date("2026-11-23T12:00:00Z");
const sha256 = "a".repeat(64);
const offer: Offer = { actionId: 42, version: "4.3.0", filename: "fw.swu", sha256, sha1: "b".repeat(40), size: 1000, downloadHref: "http://x/a", manifestHref: null };
const device = { controllerId: "MFP4-100001", securityVersion: 5 };

function payload(over: Partial<ManifestPayload> = {}): ManifestPayload {
  return {
    v: 1,
    controllerId: "MFP4-100001",
    actionId: 42,
    release: { version: "4.3.0", securityVersion: 6 },
    artifact: { filename: "fw.swu", sha256, size: 1000 },
    issuedAt: "2026-11-23T11:00:00Z",
    expiresAt: "2026-11-24T11:00:00Z",
    ...over,
  };
}
const signed = (p: ManifestPayload, k = key) => signManifest(k, p);

describe("manifest refusal (UPD-03/UPD-04)", () => {
  it("accepts a manifest that binds this device, action, artifact and a current security version", () => {
    const v = verifyManifest(signed(payload()), key.publicKeyPem, offer, device, now);
    expect(v.ok).toBe(true);
  });

  it("accepts the same security version (re-install), refuses a lower one (rollback)", () => {
    expect(verifyManifest(signed(payload({ release: { version: "4.3.0", securityVersion: 5 } })), key.publicKeyPem, offer, device, now).ok).toBe(true);
    const v = verifyManifest(signed(payload({ release: { version: "4.3.0", securityVersion: 4 } })), key.publicKeyPem, offer, device, now);
    expect(v).toEqual({ ok: false, reason: expect.stringMatching(/rollback refused/) });
    expect(refusalKind((v as { reason: string }).reason)).toBe("rollback");
  });

  it("refuses an expired manifest (freeze attack), also one expiring this very instant", () => {
    const v = verifyManifest(signed(payload({ expiresAt: "2026-11-23T11:59:59Z" })), key.publicKeyPem, offer, device, now);
    expect(v).toEqual({ ok: false, reason: "manifest expired" });
    expect(verifyManifest(signed(payload({ expiresAt: now.toISOString() })), key.publicKeyPem, offer, device, now).ok).toBe(false);
    expect(refusalKind("manifest expired")).toBe("expired");
  });

  it("refuses a manifest signed by another key, or whose text was altered after signing", () => {
    const other = keyPair();
    expect(verifyManifest(signed(payload(), other), key.publicKeyPem, offer, device, now)).toEqual({ ok: false, reason: "manifest signature invalid" });
    const s = signed(payload());
    const tampered = { ...s, manifest: s.manifest.replace('"securityVersion":6', '"securityVersion":60') };
    expect(verifyManifest(tampered, key.publicKeyPem, offer, device, now)).toEqual({ ok: false, reason: "manifest signature invalid" });
    expect(refusalKind("manifest signature invalid")).toBe("signature");
  });

  it("refuses a manifest for another device, another action, another artifact or another version", () => {
    expect(verifyManifest(signed(payload({ controllerId: "MFP4-100002" })), key.publicKeyPem, offer, device, now)).toEqual({ ok: false, reason: "manifest is for another device" });
    expect(verifyManifest(signed(payload({ actionId: 41 })), key.publicKeyPem, offer, device, now)).toEqual({ ok: false, reason: "manifest is for another action" });
    expect(verifyManifest(signed(payload({ artifact: { filename: "fw.swu", sha256: "c".repeat(64), size: 1000 } })), key.publicKeyPem, offer, device, now))
      .toEqual({ ok: false, reason: "artifact does not match the manifest" });
    expect(verifyManifest(signed(payload({ artifact: { filename: "fw.swu", sha256, size: 999 } })), key.publicKeyPem, offer, device, now).ok).toBe(false);
    expect(verifyManifest(signed(payload({ artifact: { filename: "other.swu", sha256, size: 1000 } })), key.publicKeyPem, offer, device, now).ok).toBe(false);
    expect(verifyManifest(signed(payload({ release: { version: "4.3.1", securityVersion: 6 } })), key.publicKeyPem, offer, device, now))
      .toEqual({ ok: false, reason: "release version does not match the manifest" });
    expect(refusalKind("manifest is for another device")).toBe("binding");
  });

  it("refuses malformed manifests and foreign algorithms without throwing", () => {
    for (const bad of [undefined, null, "x", {}, { manifest: 1, signature: "x" }, { manifest: "not json", signature: "AAAA", alg: "Ed25519", keyId: "k" }]) {
      expect(verifyManifest(bad, key.publicKeyPem, offer, device, now).ok).toBe(false);
    }
    expect(verifyManifest({ ...signed(payload()), alg: "none" }, key.publicKeyPem, offer, device, now)).toEqual({ ok: false, reason: 'manifest algorithm "none" not accepted' });
  });
});

describe("download check", () => {
  const p = payload();
  it("passes matching bytes and names the mismatch otherwise", () => {
    expect(checkDownload(offer, p, { sha256, sha1: "b".repeat(40), size: 1000 })).toBeNull();
    expect(checkDownload(offer, p, { sha256: "d".repeat(64), sha1: "b".repeat(40), size: 1000 })).toMatch(/^HASH mismatch/);
    expect(checkDownload(offer, p, { sha256, sha1: "e".repeat(40), size: 1000 })).toMatch(/^Checksum does not match/);
    expect(checkDownload(offer, p, { sha256, sha1: "b".repeat(40), size: 10 })).toMatch(/^size mismatch/);
    expect(refusalKind("HASH mismatch : a <--> b")).toBe("hash");
  });
});

describe("deployment parsing", () => {
  const body = (over: Record<string, unknown> = {}, artifact: Record<string, unknown> = {}) => ({
    id: "42",
    deployment: {
      download: "forced",
      update: "forced",
      chunks: [{ part: "os", version: "4.3.0", name: "FlowPoint", artifacts: [{ filename: "fw.swu", hashes: { sha1: "B".repeat(40), md5: "c".repeat(32), sha256 }, size: 1000, _links: { "download-http": { href: "http://x/a" }, manifest: { href: "http://x/m" } }, ...artifact }] }],
    },
    ...over,
  });

  it("reads what a device needs from Corridor's deploymentBase", () => {
    expect(parseDeployment(body())).toEqual({ ok: true, offer: { ...offer, manifestHref: "http://x/m" } });
  });

  it("prefers _links.download and lower-cases hashes", () => {
    const r = parseDeployment(body({}, { _links: { download: { href: "http://x/d" }, "download-http": { href: "http://x/a" } } }));
    expect(r.ok && r.offer.downloadHref).toBe("http://x/d");
    expect(r.ok && r.offer.sha1).toBe("b".repeat(40));
  });

  it("rejects what it cannot install", () => {
    expect(parseDeployment(body({ id: "a1b2" })).ok).toBe(false);
    expect(parseDeployment(body({ id: 3000000000 })).ok).toBe(false);
    expect(parseDeployment({ ...body(), deployment: { ...body().deployment, update: "skip" } }).ok).toBe(false);
    expect(parseDeployment(body({}, { _links: {} }))).toEqual({ ok: false, reason: "No artifact download URL reported by server." });
    expect(parseDeployment(body({}, { hashes: { sha1: "b".repeat(40) } })).ok).toBe(false);
    expect(parseDeployment("nope").ok).toBe(false);
  });
});
