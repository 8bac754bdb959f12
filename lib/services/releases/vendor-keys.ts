import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { manufacturers, vendorKeys } from "@/db/schema";
import { VendorKeyInput } from "@/lib/validation/releases";
import { RowId } from "@/lib/validation/ids";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { command, query } from "../operation";
import { fingerprintHex } from "./cms";
import type { TrustedKeys } from "./package-verification";

// The keys each manufacturer signs packages with, pinned by an administrator (UPD-01). A package is
// trusted only if it verifies against one of its manufacturer's current keys.

type ParsedKey = { kind: "x509" | "ed25519"; pem: string; fingerprintSha256: string; subject: string; notAfter: Date | null };

/** Reads one PEM certificate or Ed25519 public key, refusing what could not serve as a signing anchor. */
export function parseVendorKey(pem: string, now = new Date()): ParsedKey {
  const text = pem.trim();
  if (text.includes("-----BEGIN CERTIFICATE-----")) {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length !== 1) throw new ValidationError("Paste exactly one certificate per key.", { pem: ["One certificate per key."] });
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(blocks[0]!);
    } catch {
      throw new ValidationError("This certificate could not be read. Paste the PEM text the manufacturer sent, including the BEGIN and END lines.", { pem: ["Unreadable certificate."] });
    }
    const notAfter = new Date(cert.validTo);
    if (notAfter < now) throw new ValidationError(`This certificate expired on ${notAfter.toISOString().slice(0, 10)}.`, { pem: ["Expired."] });
    const key = cert.publicKey;
    if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      throw new ValidationError("This certificate's RSA key is shorter than 2048 bits, too weak to trust.", { pem: ["Weak key."] });
    }
    return { kind: "x509", pem: blocks[0]!, fingerprintSha256: fingerprintHex(cert), subject: cert.subject.replace(/\n/g, ", "), notAfter };
  }
  if (text.includes("-----BEGIN PUBLIC KEY-----")) {
    let key;
    try {
      key = createPublicKey(text);
    } catch {
      throw new ValidationError("This public key could not be read.", { pem: ["Unreadable key."] });
    }
    if (key.asymmetricKeyType !== "ed25519") throw new ValidationError("Only Ed25519 public keys can be pinned on their own; for RSA or ECDSA paste the certificate.", { pem: ["Not Ed25519."] });
    const spki = key.export({ type: "spki", format: "der" });
    return { kind: "ed25519", pem: key.export({ type: "spki", format: "pem" }).toString(), fingerprintSha256: createHash("sha256").update(spki).digest("hex"), subject: "Ed25519 public key", notAfter: null };
  }
  throw new ValidationError("Paste a PEM certificate (BEGIN CERTIFICATE) or an Ed25519 public key (BEGIN PUBLIC KEY).", { pem: ["Not a PEM certificate or public key."] });
}

export const addVendorKey = command({
  name: "vendor_keys.add",
  permission: "vendor_keys.manage",
  input: VendorKeyInput,
  async run({ tx, actor, input, audit }) {
    const [maker] = await tx.select({ id: manufacturers.id, name: manufacturers.name }).from(manufacturers).where(eq(manufacturers.id, input.manufacturerId));
    if (!maker) throw new ValidationError("Choose a manufacturer from the list.", { manufacturerId: ["Unknown manufacturer."] });
    const parsed = parseVendorKey(input.pem);
    const [row] = await tx
      .insert(vendorKeys)
      .values({ manufacturerId: maker.id, label: input.label, ...parsed, addedBy: actor.type === "user" ? actor.userId : null })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new ConflictError("This key is already pinned for this manufacturer.");
    const { pem: _pem, createdAt: _c, ...after } = row;
    await audit({ action: "vendor_key.pinned", entityType: "vendor_key", entityId: row.id, after: { ...after, manufacturer: maker.name } });
    return after;
  },
});

export const retireVendorKey = command({
  name: "vendor_keys.retire",
  permission: "vendor_keys.manage",
  input: z.object({ keyId: RowId("Unknown key."), reason: z.string().trim().min(1, "Say why the key is retired.").max(500) }).strict(),
  async run({ tx, input, audit }) {
    const [row] = await tx.update(vendorKeys).set({ retiredAt: sql`now()` }).where(and(eq(vendorKeys.id, input.keyId), isNull(vendorKeys.retiredAt))).returning();
    if (!row) throw new NotFoundError("This key does not exist or is already retired.");
    await audit({ action: "vendor_key.retired", entityType: "vendor_key", entityId: row.id, after: { fingerprintSha256: row.fingerprintSha256, label: row.label }, reason: input.reason });
    return { id: row.id };
  },
});

export const listVendorKeys = query({
  name: "vendor_keys.list",
  permission: "vendor_keys.manage",
  input: z.object({}).strict(),
  run: ({ db }) =>
    db
      .select({
        id: vendorKeys.id, manufacturerId: vendorKeys.manufacturerId, manufacturer: manufacturers.name, kind: vendorKeys.kind, label: vendorKeys.label,
        fingerprintSha256: vendorKeys.fingerprintSha256, subject: vendorKeys.subject, notAfter: vendorKeys.notAfter, createdAt: vendorKeys.createdAt, retiredAt: vendorKeys.retiredAt,
      })
      .from(vendorKeys)
      .innerJoin(manufacturers, eq(manufacturers.id, vendorKeys.manufacturerId))
      .orderBy(asc(manufacturers.name), asc(vendorKeys.id)),
});

export const listManufacturers = query({
  name: "manufacturers.list",
  permission: "releases.read",
  input: z.object({}).strict(),
  run: ({ db }) => db.select({ id: manufacturers.id, name: manufacturers.name }).from(manufacturers).orderBy(asc(manufacturers.name)),
});

/** The manufacturer's current keys, as the verifier wants them, and a fingerprint → key id map. */
export async function trustedKeysFor(db: Db, manufacturerId: number): Promise<{ keys: TrustedKeys; byFingerprint: Map<string, number> }> {
  const rows = await db.select().from(vendorKeys).where(and(eq(vendorKeys.manufacturerId, manufacturerId), isNull(vendorKeys.retiredAt)));
  return {
    keys: {
      certsPem: rows.filter((r) => r.kind === "x509").map((r) => r.pem),
      ed25519PublicKeysPem: rows.filter((r) => r.kind === "ed25519").map((r) => r.pem),
    },
    byFingerprint: new Map(rows.map((r) => [r.fingerprintSha256, r.id])),
  };
}
