import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { serverKeys } from "@/db/schema";

// Signed deployment manifests (UPD-03/UPD-04): Corridor's own Ed25519 signature over what a device is
// told to install, bound to that device, so a device can refuse rollback, substitution and replay of
// stale offers (freeze attacks) even if the transport or a mirror is compromised.

export type ManifestPayload = {
  v: 1;
  controllerId: string;
  actionId: number;
  release: { version: string; securityVersion: number };
  artifact: { filename: string; sha256: string; size: number };
  issuedAt: string;
  expiresAt: string;
};

export type SignedManifest = { manifest: string; signature: string; alg: "Ed25519"; keyId: string };

type ManifestKey = { privateKey: KeyObject; publicKeyPem: string; keyId: string };

const cache = new WeakMap<object, Promise<ManifestKey>>();

/** The signing key: the configured one, else the one kept in the database, else a new one (stored once). */
export function manifestKey(db: Db, configuredPem?: string): Promise<ManifestKey> {
  let key = cache.get(db);
  if (!key) {
    key = loadKey(db, configuredPem).catch((err) => {
      cache.delete(db);
      throw err;
    });
    cache.set(db, key);
  }
  return key;
}

async function loadKey(db: Db, configuredPem?: string): Promise<ManifestKey> {
  if (configuredPem) return describe(createPrivateKey(configuredPem));
  const [stored] = await db.select().from(serverKeys).where(eq(serverKeys.purpose, "manifest"));
  if (stored) return describe(createPrivateKey(stored.privateKeyPem));
  const pair = generateKeyPairSync("ed25519");
  // Two instances starting together: the first insert wins and both use the stored key.
  await db
    .insert(serverKeys)
    .values({
      purpose: "manifest",
      publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
      privateKeyPem: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    })
    .onConflictDoNothing();
  const [winner] = await db.select().from(serverKeys).where(eq(serverKeys.purpose, "manifest"));
  return describe(createPrivateKey(winner!.privateKeyPem));
}

function describe(privateKey: KeyObject): ManifestKey {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("The manifest key must be an Ed25519 key.");
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: "spki", format: "der" });
  return { privateKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), keyId: der.subarray(-32).toString("base64url").slice(0, 16) };
}

export function signManifest(key: ManifestKey, payload: ManifestPayload): SignedManifest {
  const manifest = JSON.stringify(payload);
  return { manifest, signature: sign(null, Buffer.from(manifest), key.privateKey).toString("base64"), alg: "Ed25519", keyId: key.keyId };
}

/** What a device does with a manifest; used by the simulated fleet and the tests. */
export function checkManifest(
  signed: SignedManifest,
  publicKeyPem: string,
  expect: { controllerId: string; sha256: string; size: number; installedSecurityVersion: number; now: Date },
): { ok: true; payload: ManifestPayload } | { ok: false; reason: string } {
  if (!verify(null, Buffer.from(signed.manifest), createPublicKey(publicKeyPem), Buffer.from(signed.signature, "base64"))) {
    return { ok: false, reason: "manifest signature invalid" };
  }
  const p = JSON.parse(signed.manifest) as ManifestPayload;
  if (p.controllerId !== expect.controllerId) return { ok: false, reason: "manifest is for another device" };
  if (p.artifact.sha256 !== expect.sha256 || p.artifact.size !== expect.size) return { ok: false, reason: "artifact does not match the manifest" };
  if (Date.parse(p.expiresAt) <= expect.now.getTime()) return { ok: false, reason: "manifest expired" };
  if (p.release.securityVersion < expect.installedSecurityVersion) return { ok: false, reason: "rollback refused: security version below the installed one" };
  return { ok: true, payload: p };
}
