import { createPublicKey } from "node:crypto";
import { checkManifest, type ManifestPayload, type SignedManifest } from "@/lib/services/ddi/manifest";

// What a careful device checks before and after it downloads: the offer must be well-formed, the
// signed manifest must verify (Corridor's key, this device, this action, this artifact, not expired,
// not below the installed security version), and the bytes must match both the offer and the manifest.

export type Offer = {
  actionId: number;
  version: string;
  filename: string;
  sha256: string;
  sha1: string;
  size: number;
  downloadHref: string;
  manifestHref: string | null;
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const href = (links: unknown, name: string): string | null => {
  const l = isObj(links) ? links[name] : undefined;
  return isObj(l) && typeof l.href === "string" && l.href ? l.href : null;
};

/** The deploymentBase body as a device needs it, or why it cannot be used. */
export function parseDeployment(body: unknown): { ok: true; offer: Offer } | { ok: false; reason: string } {
  if (!isObj(body)) return { ok: false, reason: "deployment is not a JSON object" };
  const rawId = body.id;
  const actionId = typeof rawId === "number" ? rawId : typeof rawId === "string" && /^\d{1,10}$/.test(rawId) ? Number(rawId) : NaN;
  if (!Number.isInteger(actionId) || actionId < 0 || actionId > 2147483647) return { ok: false, reason: `action id ${JSON.stringify(rawId)} is not a DDI action id` };
  const d = body.deployment;
  if (!isObj(d)) return { ok: false, reason: "deployment field missing" };
  if (d.update !== "forced" && d.update !== "attempt") return { ok: false, reason: `update mode ${JSON.stringify(d.update)} is not an instruction to install` };
  const chunk = Array.isArray(d.chunks) ? d.chunks[0] : undefined;
  if (!isObj(chunk) || typeof chunk.version !== "string") return { ok: false, reason: "deployment has no chunk with a version" };
  const artifact = Array.isArray(chunk.artifacts) ? chunk.artifacts[0] : undefined;
  if (!isObj(artifact) || typeof artifact.filename !== "string") return { ok: false, reason: "chunk has no artifact" };
  const hashes = isObj(artifact.hashes) ? artifact.hashes : {};
  const sha256 = typeof hashes.sha256 === "string" ? hashes.sha256.toLowerCase() : "";
  const sha1 = typeof hashes.sha1 === "string" ? hashes.sha1.toLowerCase() : "";
  if (!/^[0-9a-f]{64}$/.test(sha256)) return { ok: false, reason: "artifact has no sha256" };
  if (!/^[0-9a-f]{40}$/.test(sha1)) return { ok: false, reason: "artifact has no sha1" };
  if (typeof artifact.size !== "number" || !Number.isInteger(artifact.size) || artifact.size < 0) return { ok: false, reason: "artifact has no size" };
  const downloadHref = href(artifact._links, "download") ?? href(artifact._links, "download-http");
  if (!downloadHref) return { ok: false, reason: "No artifact download URL reported by server." };
  return {
    ok: true,
    offer: { actionId, version: chunk.version, filename: artifact.filename, sha256, sha1, size: artifact.size, downloadHref, manifestHref: href(artifact._links, "manifest") },
  };
}

/** The key id Corridor puts in its manifests: the raw Ed25519 key, base64url, first 16 characters. */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return der.subarray(-32).toString("base64url").slice(0, 16);
}

export type ManifestVerdict = { ok: true; payload: ManifestPayload } | { ok: false; reason: string };

/** checkManifest (the server's own reference check) plus the binding to this very offer. */
export function verifyManifest(
  signed: unknown,
  publicKeyPem: string,
  offer: Offer,
  device: { controllerId: string; securityVersion: number },
  now: Date,
): ManifestVerdict {
  if (!isObj(signed) || typeof signed.manifest !== "string" || typeof signed.signature !== "string") return { ok: false, reason: "manifest malformed" };
  if (signed.alg !== "Ed25519") return { ok: false, reason: `manifest algorithm ${JSON.stringify(signed.alg)} not accepted` };
  let verdict: ReturnType<typeof checkManifest>;
  try {
    verdict = checkManifest(signed as SignedManifest, publicKeyPem, {
      controllerId: device.controllerId,
      sha256: offer.sha256,
      size: offer.size,
      installedSecurityVersion: device.securityVersion,
      now,
    });
  } catch {
    return { ok: false, reason: "manifest malformed" };
  }
  if (!verdict.ok) return verdict;
  const p = verdict.payload;
  if (p.actionId !== offer.actionId) return { ok: false, reason: "manifest is for another action" };
  if (p.artifact.filename !== offer.filename) return { ok: false, reason: "artifact does not match the manifest" };
  if (p.release.version !== offer.version) return { ok: false, reason: "release version does not match the manifest" };
  return verdict;
}

/** After the download: the bytes against the offer and the manifest. Null when they match. */
export function checkDownload(offer: Offer, manifest: ManifestPayload, got: { sha256: string; sha1: string; size: number }): string | null {
  if (got.size !== offer.size) return `size mismatch: expected ${offer.size} bytes, got ${got.size}`;
  if (got.sha256 !== offer.sha256 || got.sha256 !== manifest.artifact.sha256) return `HASH mismatch : ${offer.sha256} <--> ${got.sha256}`;
  if (got.sha1 !== offer.sha1) return `Checksum does not match: Should be '${offer.sha1}', but actually is '${got.sha1}'`;
  return null;
}

/** Short, countable kind of a refusal reason (for the status line). */
export function refusalKind(reason: string): "signature" | "expired" | "rollback" | "hash" | "binding" | "malformed" {
  if (/signature invalid|algorithm/.test(reason)) return "signature";
  if (/expired/.test(reason)) return "expired";
  if (/rollback/.test(reason)) return "rollback";
  if (/HASH|Checksum|size mismatch/.test(reason)) return "hash";
  if (/another|does not match/.test(reason)) return "binding";
  return "malformed";
}
