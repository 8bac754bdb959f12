import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CmsReject, parsePemCertificates, streamRange, verifyCmsDetached, type SignerIdentity } from "./cms";
import { CpioError, cpioMagic, hashEntry, readCpioHeader, readCpioIndex, readEntry, type CpioEntry } from "./cpio";
import { SwDescriptionError, parseSwDescription } from "./sw-description";

// Intake verification of vendor packages (UPD-01, UPD-02). Pure: paths and bytes in, verdicts out. Every
// rejection carries a sentence that can be shown to the uploader and written to the audit log.
//
// * SWUpdate (.swu): cpio (newc or crc), sw-description first, sw-description.sig second; the CMS signature
//   of sw-description must verify against the pinned certificates (cms.ts); every entry sw-description lists
//   must be in the archive with a non-zero sha256 that matches the streamed entry. MD5/SHA-1/CRC values in
//   sw-description are never accepted in place of a sha256.
// * Anything else: a detached signature over the whole file, either CMS (DER or PEM; checked like the .swu
//   signature) or a raw 64-byte Ed25519 signature.
//
// Ed25519 convention: the signature is PureEdDSA (RFC 8032) over the file's raw bytes — what
// `openssl pkeyutl -sign -rawin -inkey key.pem -in file` and most vendor tools produce. We deliberately do
// not sign a digest of the file instead: "Ed25519 over the sha256 of the file" is a home-made protocol
// (hex or binary digest? which hash?) that a vendor could get subtly wrong, whereas PureEdDSA over the bytes
// is unambiguous. Node has no streaming PureEdDSA nor Ed25519ph, so the file is held in memory for the check;
// that is bounded: files above `maxEd25519Bytes` (default 64 MiB) are rejected with a reason telling the
// vendor to use a detached CMS signature, which is verified streaming.
//
// Large packages are never loaded whole (apart from the bounded Ed25519 case): cpio headers, sw-description
// (≤ 1 MiB) and the signature (≤ 256 KiB) are read into memory; payloads are hashed as streams.

export type TrustedKeys = { certsPem: string[]; ed25519PublicKeysPem: string[] };

export type DetectedFormat = "swu" | "cpio" | "zip" | "gzip" | "xz" | "zstd" | "bzip2" | "tar" | "elf" | "pdf" | "empty" | "unknown";

export type PackageTypeResult = {
  /** "swu" only for a cpio archive (newc/crc) whose first entry is sw-description. */
  type: "swu" | "unknown";
  format: DetectedFormat;
  /** What the bytes are, in words: "a ZIP archive". */
  description: string;
  /** Set when the file name promises a different type than the bytes deliver. */
  mismatch?: string;
};

export type VerifiedPayload = { kind: string; filename: string; sha256: string; size: number; verified: true };

export type SwuVerification =
  | {
      ok: true;
      signer: SignerIdentity;
      images: VerifiedPayload[];
      hardwareCompatibility: string[];
      version?: string;
      /** Archive entries that sw-description does not mention (swupdate ignores them). */
      unlistedEntries: string[];
    }
  | { ok: false; reason: string };

export type DetachedVerification =
  | { ok: true; method: "cms" | "ed25519"; signer: SignerIdentity | { subject: string; fingerprintSha256: string }; sha256: string; size: number }
  | { ok: false; reason: string };

export type VerifyOptions = {
  /** Packages larger than this are rejected. */
  maxBytes?: number;
  /** The time at which certificates must be valid (default: now). */
  now?: Date;
};

export const MAX_SW_DESCRIPTION_BYTES = 1024 * 1024;
export const MAX_SIGNATURE_BYTES = 256 * 1024;
export const DEFAULT_MAX_ED25519_BYTES = 64 * 1024 * 1024;

const FORMAT_WORDS: Record<DetectedFormat, string> = {
  swu: "a SWUpdate package",
  cpio: "a cpio archive",
  zip: "a ZIP archive",
  gzip: "gzip-compressed data",
  xz: "xz-compressed data",
  zstd: "zstd-compressed data",
  bzip2: "bzip2-compressed data",
  tar: "a tar archive",
  elf: "an ELF executable",
  pdf: "a PDF document",
  empty: "an empty file",
  unknown: "of an unrecognised type",
};

/** File-name extensions with a definite expected format. Other names (.bin, .img, …) promise nothing. */
const EXTENSION_FORMATS: Record<string, DetectedFormat[]> = {
  ".swu": ["swu"],
  ".zip": ["zip"],
  ".gz": ["gzip"],
  ".tgz": ["gzip"],
  ".xz": ["xz"],
  ".zst": ["zstd"],
  ".bz2": ["bzip2"],
  ".tar": ["tar"],
  ".pdf": ["pdf"],
  ".cpio": ["cpio", "swu"],
};

function sniff(head: Buffer): DetectedFormat {
  if (head.length === 0) return "empty";
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (cpioMagic(head)) return "cpio";
  if (head.subarray(0, 6).toString("latin1") === "070707" || starts(0xc7, 0x71) || starts(0x71, 0xc7)) return "cpio";
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return "zip";
  if (starts(0x1f, 0x8b)) return "gzip";
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz";
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return "zstd";
  if (starts(0x42, 0x5a, 0x68)) return "bzip2";
  if (starts(0x7f, 0x45, 0x4c, 0x46)) return "elf";
  if (starts(0x25, 0x50, 0x44, 0x46)) return "pdf";
  if (head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar") return "tar";
  return "unknown";
}

/**
 * Identifies a package by its magic bytes (never by its name) and, given the uploaded file name, says
 * whether the name and the bytes disagree.
 */
export async function detectPackageType(filePath: string, fileName: string = path.basename(filePath)): Promise<PackageTypeResult> {
  const fh = await fs.promises.open(filePath, "r");
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 512));
    if (head.length) await fh.read(head, 0, head.length, 0);
    let format = sniff(head);
    let description = FORMAT_WORDS[format];
    if (format === "cpio") {
      if (!cpioMagic(head)) description = "a cpio archive in a format SWUpdate does not read (only newc and crc are accepted)";
      else {
        try {
          const first = await readCpioHeader(fh, size, 0);
          if (first?.entry.name === "sw-description") {
            format = "swu";
            description = FORMAT_WORDS.swu;
          } else description = first ? `a cpio archive whose first entry is ${JSON.stringify(first.entry.name)}, not sw-description` : "an empty cpio archive";
        } catch (e) {
          if (!(e instanceof CpioError)) throw e;
          description = `a damaged cpio archive (${e.message})`;
        }
      }
    }
    const result: PackageTypeResult = { type: format === "swu" ? "swu" : "unknown", format, description };
    const ext = path.extname(fileName).toLowerCase();
    const expected = EXTENSION_FORMATS[ext];
    if (format === "swu" && ext !== ".swu") {
      result.mismatch = `${fileName} is a SWUpdate package but its name does not end in .swu (swupdate only installs artifacts named *.swu).`;
    } else if (expected && !expected.includes(format)) {
      result.mismatch =
        ext === ".swu"
          ? `${fileName} is named .swu but is ${description}, not a cpio archive with sw-description as its first entry.`
          : `${fileName} is named ${ext} but is ${description}.`;
    }
    return result;
  } finally {
    await fh.close();
  }
}

async function sizeCheck(filePath: string, opts: VerifyOptions): Promise<{ size: number } | { reason: string }> {
  const { size } = await fs.promises.stat(filePath);
  if (size === 0) return { reason: "The file is empty." };
  if (opts.maxBytes !== undefined && size > opts.maxBytes) return { reason: `The package is larger than the limit of ${formatBytes(opts.maxBytes)}.` };
  return { size };
}

function formatBytes(n: number): string {
  return n >= 1048576 ? `${Math.round((n / 1048576) * 10) / 10} MB` : `${n} bytes`;
}

const reject = (reason: string) => ({ ok: false as const, reason });

/** Verifies a SWUpdate .swu package at `filePath` against the manufacturer's pinned certificates (PEM). */
export async function verifySwu(filePath: string, trustedCertsPem: string[], opts: VerifyOptions = {}): Promise<SwuVerification> {
  const sized = await sizeCheck(filePath, opts);
  if ("reason" in sized) return reject(sized.reason);
  const fh = await fs.promises.open(filePath, "r");
  try {
    const head = Buffer.alloc(Math.min(sized.size, 512));
    await fh.read(head, 0, head.length, 0);
    if (!cpioMagic(head)) return reject(`The file is not a SWUpdate package: it is ${FORMAT_WORDS[sniff(head)]}, not a cpio archive (newc or crc) with sw-description first.`);
    let entries: CpioEntry[];
    let format: "newc" | "crc";
    try {
      ({ entries, format } = await readCpioIndex(fh, sized.size));
    } catch (e) {
      if (e instanceof CpioError) return reject(`The package is not a valid cpio archive: ${e.message}.`);
      throw e;
    }
    const [desc, sig] = entries;
    if (desc?.name !== "sw-description") return reject(`sw-description must be the first entry of a .swu package, but the first entry is ${JSON.stringify(desc?.name ?? "")}.`);
    const byName = new Map<string, CpioEntry>();
    for (const e of entries) {
      if (byName.has(e.name)) return reject(`The package contains ${e.name} more than once.`);
      byName.set(e.name, e);
    }
    if (sig?.name !== "sw-description.sig") {
      if (byName.has("sw-description.sig")) return reject("sw-description.sig must be the second entry of a .swu package.");
      return reject("sw-description is not signed (the package has no sw-description.sig).");
    }
    if (desc.size > MAX_SW_DESCRIPTION_BYTES) return reject(`sw-description is larger than ${formatBytes(MAX_SW_DESCRIPTION_BYTES)}.`);
    if (sig.size > MAX_SIGNATURE_BYTES) return reject(`sw-description.sig is larger than ${formatBytes(MAX_SIGNATURE_BYTES)}.`);
    if (sig.size === 0) return reject("sw-description is not signed (sw-description.sig is empty).");
    const descBytes = await readEntry(fh, desc);
    const sigBytes = await readEntry(fh, sig);
    if (format === "crc") {
      for (const [e, bytes] of [[desc, descBytes], [sig, sigBytes]] as const) {
        if (byteSum(bytes) !== e.check) return reject(`${e.name} is corrupted (cpio checksum mismatch).`);
      }
    }

    let pinned;
    try {
      pinned = parsePemCertificates(trustedCertsPem);
    } catch (e) {
      if (e instanceof CmsReject) return reject(e.message);
      throw e;
    }
    const cms = await verifyCmsDetached(sigBytes, { kind: "buffer", data: descBytes }, pinned, { what: "sw-description", now: opts.now });
    if (!cms.ok) return cms;

    let sw;
    try {
      sw = parseSwDescription(descBytes);
    } catch (e) {
      if (e instanceof SwDescriptionError) return reject(`sw-description could not be read: ${e.message}.`);
      throw e;
    }
    if (sw.hardwareCompatibility.length === 0) return reject("sw-description has no hardware-compatibility list; swupdate refuses such packages.");
    if (sw.payloads.length === 0) return reject("sw-description lists nothing to install.");

    const images: VerifiedPayload[] = [];
    const hashed = new Map<string, string>();
    for (const p of sw.payloads) {
      if (p.sha256 === undefined) {
        const weak = p.otherHashes.length ? ` (${p.otherHashes.join(", ")} ${p.otherHashes.length > 1 ? "are" : "is"} not accepted as proof)` : "";
        return reject(`${p.filename} has no sha256 in sw-description${weak}.`);
      }
      if (!/^[0-9a-f]{64}$/.test(p.sha256)) return reject(`The sha256 of ${p.filename} in sw-description is not 64 hexadecimal digits.`);
      if (/^0+$/.test(p.sha256)) return reject(`${p.filename} has an all-zero sha256 in sw-description, which counts as no hash.`);
      const entry = byName.get(p.filename);
      if (!entry || entry === desc || entry === sig) return reject(`${p.filename} is listed in sw-description but is missing from the package.`);
      let actual = hashed.get(p.filename);
      if (actual === undefined) {
        const h = await hashEntry(filePath, entry);
        if (format === "crc" && h.byteSum !== entry.check) return reject(`${p.filename} is corrupted (cpio checksum mismatch).`);
        actual = h.sha256;
        hashed.set(p.filename, actual);
      }
      if (actual !== p.sha256) return reject(`${p.filename} does not match the sha256 in sw-description.`);
      images.push({ kind: p.kind, filename: p.filename, sha256: actual, size: entry.size, verified: true });
    }
    const unlistedEntries = entries.slice(2).filter((e) => !hashed.has(e.name)).map((e) => e.name);
    return { ok: true, signer: cms.signer, images, hardwareCompatibility: sw.hardwareCompatibility, ...(sw.version !== undefined ? { version: sw.version } : {}), unlistedEntries };
  } finally {
    await fh.close();
  }
}

function byteSum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += b[i]!;
  return s >>> 0;
}

// ---------------------------------------------------------------------------------------------------------

type ParsedSignature = { kind: "cms"; der: Buffer } | { kind: "ed25519"; sig: Buffer } | { kind: "invalid"; reason: string };

function classifySignature(signature: Buffer): ParsedSignature {
  if (signature.length === 0) return { kind: "invalid", reason: "The signature file is empty." };
  if (signature.length > MAX_SIGNATURE_BYTES) return { kind: "invalid", reason: `The signature file is larger than ${formatBytes(MAX_SIGNATURE_BYTES)}.` };
  const text = signature.toString("latin1").trim();
  const pem = /^-----BEGIN (CMS|PKCS7|PKCS #7 SIGNED DATA)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----$/.exec(text);
  if (pem) return { kind: "cms", der: Buffer.from(pem[2]!.replace(/\s+/g, ""), "base64") };
  if (text.startsWith("-----BEGIN")) return { kind: "invalid", reason: "The signature file is PEM, but not a CMS (PKCS #7) signature." };
  if (signature.length === 64) return { kind: "ed25519", sig: signature };
  if (/^[A-Za-z0-9+/]{86}==$/.test(text)) return { kind: "ed25519", sig: Buffer.from(text, "base64") };
  if (signature[0] === 0x30) return { kind: "cms", der: signature };
  return { kind: "invalid", reason: "The signature file is neither a CMS signature (DER or PEM) nor a 64-byte Ed25519 signature." };
}

function parseEd25519Keys(pems: string[]): KeyObject[] | string {
  const keys: KeyObject[] = [];
  for (const [i, pem] of pems.entries()) {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      return `Pinned key #${i + 1} could not be read.`;
    }
    if (key.asymmetricKeyType !== "ed25519") return `Pinned key #${i + 1} is not an Ed25519 public key.`;
    keys.push(key);
  }
  return keys;
}

/**
 * Verifies a non-.swu package against a detached signature: CMS (DER/PEM, pinned certificates) or raw
 * Ed25519 over the file bytes (pinned public keys; files up to `maxEd25519Bytes`).
 */
export async function verifyDetached(
  filePath: string,
  signature: Buffer,
  trusted: TrustedKeys,
  opts: VerifyOptions & { maxEd25519Bytes?: number } = {},
): Promise<DetachedVerification> {
  const sized = await sizeCheck(filePath, opts);
  if ("reason" in sized) return reject(sized.reason);
  const size = sized.size;
  const parsed = classifySignature(signature);
  if (parsed.kind === "invalid") return reject(parsed.reason);

  if (parsed.kind === "cms") {
    let pinned;
    try {
      pinned = parsePemCertificates(trusted.certsPem);
    } catch (e) {
      if (e instanceof CmsReject) return reject(e.message);
      throw e;
    }
    const cms = await verifyCmsDetached(parsed.der, { kind: "file", path: filePath, start: 0, length: size }, pinned, {
      what: "the package",
      now: opts.now,
      maxInMemoryBytes: opts.maxEd25519Bytes ?? DEFAULT_MAX_ED25519_BYTES,
    });
    if (!cms.ok) return cms;
    const h = createHash("sha256");
    await streamRange({ path: filePath, start: 0, length: size }, (c) => h.update(c));
    return { ok: true, method: "cms", signer: cms.signer, sha256: h.digest("hex"), size };
  }

  const keys = parseEd25519Keys(trusted.ed25519PublicKeysPem);
  if (typeof keys === "string") return reject(keys);
  if (keys.length === 0) return reject("No Ed25519 keys are pinned for this manufacturer, so an Ed25519 signature cannot be trusted.");
  const max = opts.maxEd25519Bytes ?? DEFAULT_MAX_ED25519_BYTES;
  if (size > max) return reject(`The package is larger than ${formatBytes(max)}, the limit for a raw Ed25519 signature; the manufacturer must sign it with a detached CMS signature instead.`);
  const parts: Buffer[] = [];
  await streamRange({ path: filePath, start: 0, length: size }, (c) => parts.push(c));
  const data = Buffer.concat(parts, size);
  const match = keys.find((key) => {
    try {
      return cryptoVerify(null, data, key, parsed.sig);
    } catch {
      return false;
    }
  });
  if (!match) return reject("The package's Ed25519 signature does not verify with any key pinned for this manufacturer (wrong key, or the file was changed after it was signed).");
  const spki = match.export({ type: "spki", format: "der" });
  return {
    ok: true,
    method: "ed25519",
    signer: { subject: "Ed25519 public key", fingerprintSha256: createHash("sha256").update(spki).digest("hex") },
    sha256: createHash("sha256").update(data).digest("hex"),
    size,
  };
}

// ---------------------------------------------------------------------------------------------------------

export type PackageVerification =
  | ({ type: "swu" } & Extract<SwuVerification, { ok: true }>)
  | ({ type: "detached" } & Extract<DetachedVerification, { ok: true }>)
  | { ok: false; reason: string };

/**
 * The intake entry point: checks that the name and the magic bytes agree, then verifies a .swu by its
 * embedded signature and anything else by its detached signature.
 */
export async function verifyPackage(
  filePath: string,
  input: { fileName: string; signature?: Buffer; trusted: TrustedKeys } & VerifyOptions & { maxEd25519Bytes?: number },
): Promise<PackageVerification> {
  const sized = await sizeCheck(filePath, input);
  if ("reason" in sized) return reject(sized.reason);
  const detected = await detectPackageType(filePath, input.fileName);
  if (detected.mismatch) return reject(detected.mismatch);
  if (detected.type === "swu") {
    const r = await verifySwu(filePath, input.trusted.certsPem, input);
    return r.ok ? { type: "swu", ...r } : r;
  }
  if (!input.signature) return reject(`${input.fileName} is not a SWUpdate package, so it needs a detached signature, and none was supplied.`);
  const r = await verifyDetached(filePath, input.signature, input.trusted, input);
  return r.ok ? { type: "detached", ...r } : r;
}
