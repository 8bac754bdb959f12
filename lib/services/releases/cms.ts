import { X509Certificate, constants, createHash, createVerify, timingSafeEqual, verify as cryptoVerify, type KeyObject } from "node:crypto";
import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { DerError, TAG, expect, isContext, parseDer, readOid, readSmallInt, type Der } from "./der";

// In-process verification of a detached CMS SignedData (RFC 5652) against pinned certificates, the way
// SWUpdate's CMS mode (openssl CMS_verify with the `-k` file as the trust store) checks sw-description.sig:
//   * the signer certificate is found by the SignerInfo's sid among the embedded and pinned certificates;
//   * trust: the chain from the signer must reach a pinned, self-signed certificate (a pinned self-signed
//     signer, or a pinned CA/root that issued it, possibly through intermediates embedded in the CMS).
//     A pinned certificate that is not self-signed is not a trust anchor on its own — swupdate rejects that
//     too ("Authentication of all signatures failed"), so the server must not accept what the device refuses;
//   * every certificate on the path must be valid now, every issuer must be a CA, and only SHA-256-or-stronger
//     digests and signature algorithms are accepted (UPD-02: MD5/SHA-1 never count as evidence);
//   * with signed attributes, contentType must be id-data and messageDigest must equal the digest of the
//     detached content; the signature is over the DER SET of the attributes. Without signed attributes the
//     signature is over the content itself (streamed for RSA/ECDSA).
// No npm dependency: Node's crypto does the public-key maths and X.509 signature checks; der.ts reads ASN.1.

export type SignerIdentity = {
  subject: string;
  issuer: string;
  serialNumber: string;
  /** Lower-case hex SHA-256 of the signer certificate's DER. */
  fingerprintSha256: string;
  notAfter: string;
};

export type CmsContent = { kind: "buffer"; data: Buffer } | { kind: "file"; path: string; start: number; length: number };

export type CmsVerifyResult = { ok: true; signer: SignerIdentity } | { ok: false; reason: string };

const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  attrContentType: "1.2.840.113549.1.9.3",
  attrMessageDigest: "1.2.840.113549.1.9.4",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsaPss: "1.2.840.113549.1.1.10",
  mgf1: "1.2.840.113549.1.1.8",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
  ed448: "1.3.101.113",
  ekuEmailProtection: "1.3.6.1.5.5.7.3.4",
  ekuCodeSigning: "1.3.6.1.5.5.7.3.3",
  ekuAny: "2.5.29.37.0",
} as const;

/** Digest algorithms accepted as evidence: at least 256 bits and collision resistant (UPD-02). */
const DIGESTS: Record<string, string> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.8": "sha3-256",
  "2.16.840.1.101.3.4.2.9": "sha3-384",
  "2.16.840.1.101.3.4.2.10": "sha3-512",
};

/** Digest algorithms that are recognised and refused by name, so the reason says what was wrong. */
const WEAK_DIGESTS: Record<string, string> = {
  "1.2.840.113549.2.5": "MD5",
  "1.2.840.113549.2.2": "MD2",
  "1.2.840.113549.2.4": "MD4",
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.4": "SHA-224",
};

/** Signature algorithms with a built-in hash (RSA PKCS#1 v1.5 and ECDSA). */
const HASHED_SIGNATURES: Record<string, { kind: "rsa" | "ecdsa"; hash: string | null; weak?: string }> = {
  "1.2.840.113549.1.1.11": { kind: "rsa", hash: "sha256" },
  "1.2.840.113549.1.1.12": { kind: "rsa", hash: "sha384" },
  "1.2.840.113549.1.1.13": { kind: "rsa", hash: "sha512" },
  "2.16.840.1.101.3.4.3.14": { kind: "rsa", hash: "sha3-256" },
  "2.16.840.1.101.3.4.3.15": { kind: "rsa", hash: "sha3-384" },
  "2.16.840.1.101.3.4.3.16": { kind: "rsa", hash: "sha3-512" },
  "1.2.840.10045.4.3.2": { kind: "ecdsa", hash: "sha256" },
  "1.2.840.10045.4.3.3": { kind: "ecdsa", hash: "sha384" },
  "1.2.840.10045.4.3.4": { kind: "ecdsa", hash: "sha512" },
  "2.16.840.1.101.3.4.3.10": { kind: "ecdsa", hash: "sha3-256" },
  "2.16.840.1.101.3.4.3.11": { kind: "ecdsa", hash: "sha3-384" },
  "2.16.840.1.101.3.4.3.12": { kind: "ecdsa", hash: "sha3-512" },
  "1.2.840.113549.1.1.4": { kind: "rsa", hash: null, weak: "MD5" },
  "1.2.840.113549.1.1.5": { kind: "rsa", hash: null, weak: "SHA-1" },
  "1.2.840.113549.1.1.14": { kind: "rsa", hash: null, weak: "SHA-224" },
  "1.2.840.10045.4.1": { kind: "ecdsa", hash: null, weak: "SHA-1" },
  "1.2.840.10045.4.3.1": { kind: "ecdsa", hash: null, weak: "SHA-224" },
  "1.2.840.10040.4.3": { kind: "ecdsa", hash: null, weak: "SHA-1 (DSA)" },
};

/** Certificate signature algorithms accepted on the chain (same strength rule). */
const CERT_SIGNATURE_OK = new Set([...Object.entries(HASHED_SIGNATURES).filter(([, v]) => v.hash).map(([k]) => k), OID.ed25519, OID.ed448, OID.rsaPss]);

const MIN_RSA_BITS = 2048;
const MAX_CHAIN = 8;

export class CmsReject extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Certificates

type CertInfo = {
  cert: X509Certificate;
  fingerprint: string;
  serial: Buffer;
  issuerRaw: Buffer;
  sigAlgOid: string;
  ski?: Buffer;
  /** First two bytes of the KeyUsage bit string, when the extension is present. */
  keyUsage?: number;
};

/** Reads PEM text (one or more CERTIFICATE blocks per string). Throws a readable error for anything unusable. */
export function parsePemCertificates(pems: string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  pems.forEach((pem, i) => {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
    if (!blocks) throw new CmsReject(`Pinned certificate #${i + 1} is not a PEM certificate.`);
    for (const block of blocks) {
      try {
        out.push(new X509Certificate(block));
      } catch {
        throw new CmsReject(`Pinned certificate #${i + 1} could not be read.`);
      }
    }
  });
  return out;
}

export function fingerprintHex(cert: X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, "").toLowerCase();
}

function certInfo(cert: X509Certificate): CertInfo {
  const root = parseDer(cert.raw);
  const tbs = expect(root.children[0], TAG.SEQUENCE, "TBSCertificate");
  const sigAlgOid = readOid(expect(root.children[1], TAG.SEQUENCE, "signatureAlgorithm").children[0], "signature algorithm");
  let i = 0;
  if (isContext(tbs.children[0], 0)) i++;
  const serial = expect(tbs.children[i], TAG.INTEGER, "serialNumber").content;
  const issuerRaw = expect(tbs.children[i + 2], TAG.SEQUENCE, "issuer").raw;
  const info: CertInfo = { cert, fingerprint: fingerprintHex(cert), serial, issuerRaw, sigAlgOid };
  const extWrap = tbs.children.slice(i + 6).find((c) => isContext(c, 3));
  for (const ext of extWrap?.children[0]?.children ?? []) {
    const id = readOid(ext.children[0], "extension id");
    const value = ext.children[ext.children.length - 1];
    if (!value || value.tag !== TAG.OCTET_STRING) continue;
    if (id === OID.subjectKeyIdentifier) info.ski = expect(parseDer(value.content), TAG.OCTET_STRING, "subjectKeyIdentifier").content;
    if (id === OID.keyUsage) {
      const bits = expect(parseDer(value.content), TAG.BIT_STRING, "keyUsage").content;
      info.keyUsage = ((bits[1] ?? 0) << 8) | (bits[2] ?? 0);
    }
  }
  return info;
}

const KU_DIGITAL_SIGNATURE = 0x8000;
const KU_NON_REPUDIATION = 0x4000;
const KU_KEY_CERT_SIGN = 0x0400;

function describe(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  return cn ? `"${cn}"` : `"${oneLine(cert.subject)}"`;
}

function oneLine(name: string): string {
  return name.split("\n").filter(Boolean).join(", ");
}

function isSelfSigned(c: X509Certificate): boolean {
  try {
    return c.checkIssued(c) && c.verify(c.publicKey);
  } catch {
    return false;
  }
}

function checkValidity(c: X509Certificate, now: Date): void {
  const from = new Date(c.validFrom);
  const to = new Date(c.validTo);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new CmsReject(`The validity dates of certificate ${describe(c)} could not be read.`);
  if (now < from) throw new CmsReject(`Certificate ${describe(c)} is not valid yet (valid from ${from.toISOString()}).`);
  if (now > to) throw new CmsReject(`Certificate ${describe(c)} expired on ${to.toISOString()}.`);
}

function checkKeyStrength(c: X509Certificate): void {
  const key = c.publicKey;
  if ((key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new CmsReject(`Certificate ${describe(c)} has an RSA key shorter than ${MIN_RSA_BITS} bits.`);
  }
}

/** Walks from the signer to a pinned self-signed certificate. Throws CmsReject with the reason otherwise. */
function checkTrust(signer: CertInfo, embedded: CertInfo[], pinned: CertInfo[], now: Date, what: string): void {
  const pinnedFps = new Set(pinned.map((p) => p.fingerprint));
  const pool = [...pinned, ...embedded.filter((e) => !pinnedFps.has(e.fingerprint))];
  checkKeyStrength(signer.cert);
  if (signer.keyUsage !== undefined && !(signer.keyUsage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
    throw new CmsReject(`The signer certificate ${describe(signer.cert)} is not allowed to make signatures (key usage).`);
  }
  const eku = signer.cert.keyUsage; // Node: the extended key usage OIDs, undefined when absent
  if (eku && eku.length > 0 && !eku.some((o) => o === OID.ekuEmailProtection || o === OID.ekuCodeSigning || o === OID.ekuAny)) {
    throw new CmsReject(`The signer certificate ${describe(signer.cert)} is not meant for signing software (its extended key usage allows neither code signing nor e-mail protection).`);
  }
  let cur = signer;
  const seen = new Set<string>();
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    checkValidity(cur.cert, now);
    seen.add(cur.fingerprint);
    const selfSigned = isSelfSigned(cur.cert);
    if (selfSigned) {
      if (pinnedFps.has(cur.fingerprint)) return;
      throw new CmsReject(`${capitalise(what)} is signed by a certificate that is not pinned for this manufacturer (${describe(cur === signer ? signer.cert : cur.cert)}${cur === signer ? "" : `, reached from signer ${describe(signer.cert)}`}).`);
    }
    if (!CERT_SIGNATURE_OK.has(cur.sigAlgOid)) {
      throw new CmsReject(`Certificate ${describe(cur.cert)} is signed with a weak or unsupported algorithm (${cur.sigAlgOid}); SHA-256 or stronger is required.`);
    }
    const issuer = pool.find((c) => !seen.has(c.fingerprint) && safe(() => cur.cert.checkIssued(c.cert) && cur.cert.verify(c.cert.publicKey)));
    if (!issuer) {
      throw new CmsReject(`${capitalise(what)} is signed by a certificate that is not pinned for this manufacturer (signer ${describe(signer.cert)}, issued by "${oneLine(cur.cert.issuer)}", which is not pinned).`);
    }
    if (!issuer.cert.ca) throw new CmsReject(`Certificate ${describe(issuer.cert)} issued ${describe(cur.cert)} but is not a CA certificate.`);
    if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KU_KEY_CERT_SIGN)) throw new CmsReject(`Certificate ${describe(issuer.cert)} is not allowed to issue certificates (key usage).`);
    checkKeyStrength(issuer.cert);
    cur = issuer;
  }
  throw new CmsReject("The certificate chain of the signer is too long.");
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// SignedData

type SignerInfo = {
  sid: { issuerRaw: Buffer; serial: Buffer } | { ski: Buffer };
  digestOid: string;
  signedAttrs?: Der;
  sigAlg: Der;
  signature: Buffer;
};

type SignedData = { eContentPresent: boolean; eContentType: string; certs: X509Certificate[]; signers: SignerInfo[] };

function parseSignedData(der: Buffer): SignedData {
  const root = expect(parseDer(der), TAG.SEQUENCE, "ContentInfo");
  if (readOid(root.children[0], "contentType") !== OID.signedData) throw new DerError("not a CMS SignedData");
  const wrap = root.children[1];
  if (!isContext(wrap, 0)) throw new DerError("missing SignedData content");
  const sd = expect(wrap!.children[0], TAG.SEQUENCE, "SignedData");
  const [, , encap, ...rest] = sd.children;
  expect(sd.children[1], TAG.SET, "digestAlgorithms");
  const encapSeq = expect(encap, TAG.SEQUENCE, "encapContentInfo");
  const eContentType = readOid(encapSeq.children[0], "eContentType");
  const eContentPresent = encapSeq.children.length > 1;
  const certs: X509Certificate[] = [];
  let signerSet: Der | undefined;
  for (const node of rest) {
    if (isContext(node, 0)) {
      for (const c of node.children) if (c.tag === TAG.SEQUENCE) certs.push(new X509Certificate(c.raw));
    } else if (isContext(node, 1)) continue; // CRLs: not used
    else signerSet = expect(node, TAG.SET, "signerInfos");
  }
  if (!signerSet) throw new DerError("missing signerInfos");
  const signers = signerSet.children.map((si): SignerInfo => {
    expect(si, TAG.SEQUENCE, "SignerInfo");
    readSmallInt(si.children[0], "SignerInfo version");
    const sidNode = si.children[1];
    let sid: SignerInfo["sid"];
    if (sidNode?.tag === TAG.SEQUENCE) {
      sid = { issuerRaw: expect(sidNode.children[0], TAG.SEQUENCE, "issuer").raw, serial: expect(sidNode.children[1], TAG.INTEGER, "serialNumber").content };
    } else if (isContext(sidNode, 0)) sid = { ski: sidNode!.content };
    else throw new DerError("bad SignerInfo sid");
    const digestOid = readOid(expect(si.children[2], TAG.SEQUENCE, "digestAlgorithm").children[0], "digest algorithm");
    let k = 3;
    let signedAttrs: Der | undefined;
    if (isContext(si.children[k], 0)) signedAttrs = si.children[k++];
    const sigAlg = expect(si.children[k++], TAG.SEQUENCE, "signatureAlgorithm");
    const signature = expect(si.children[k], TAG.OCTET_STRING, "signature").content;
    return { sid, digestOid, signedAttrs, sigAlg, signature };
  });
  return { eContentPresent, eContentType, certs, signers };
}

type SigSpec = { kind: "rsa" | "rsa-pss" | "ecdsa" | "eddsa"; hash: string | null; saltLength?: number };

function digestName(oid: string, what: string): string {
  const name = DIGESTS[oid];
  if (name) return name;
  const weak = WEAK_DIGESTS[oid];
  if (weak) throw new CmsReject(`The signature of ${what} uses the ${weak} digest algorithm, which is not accepted; SHA-256 or stronger is required.`);
  throw new CmsReject(`The signature of ${what} uses an unsupported digest algorithm (${oid}).`);
}

function signatureSpec(sigAlg: Der, digest: string, what: string): SigSpec {
  const oid = readOid(sigAlg.children[0], "signature algorithm");
  if (oid === OID.rsaEncryption) return { kind: "rsa", hash: digest };
  if (oid === OID.ecPublicKey) return { kind: "ecdsa", hash: digest };
  if (oid === OID.ed25519 || oid === OID.ed448) return { kind: "eddsa", hash: null };
  if (oid === OID.rsaPss) return pssSpec(sigAlg.children[1], what);
  const known = HASHED_SIGNATURES[oid];
  if (known?.weak) throw new CmsReject(`The signature of ${what} uses ${known.weak}, which is not accepted; SHA-256 or stronger is required.`);
  if (known) return { kind: known.kind, hash: known.hash };
  throw new CmsReject(`The signature of ${what} uses an unsupported signature algorithm (${oid}).`);
}

function pssSpec(params: Der | undefined, what: string): SigSpec {
  let hash = "1.3.14.3.2.26"; // RFC 4055 defaults: SHA-1, MGF1-SHA-1, salt 20
  let mgfHash = "1.3.14.3.2.26";
  let saltLength = 20;
  for (const p of params?.children ?? []) {
    if (isContext(p, 0)) hash = readOid(p.children[0]?.children[0], "PSS hash");
    else if (isContext(p, 1)) {
      const mgf = p.children[0];
      if (readOid(mgf?.children[0], "PSS MGF") !== OID.mgf1) throw new CmsReject(`The signature of ${what} uses an unsupported RSA-PSS mask generation function.`);
      mgfHash = readOid(mgf?.children[1]?.children[0], "MGF1 hash");
    } else if (isContext(p, 2)) saltLength = readSmallInt(p.children[0], "PSS salt length");
    else if (isContext(p, 3) && readSmallInt(p.children[0], "PSS trailer") !== 1) throw new CmsReject(`The signature of ${what} has an unsupported RSA-PSS trailer.`);
  }
  const name = digestName(hash, what);
  if (mgfHash !== hash) throw new CmsReject(`The signature of ${what} uses RSA-PSS with a different MGF1 hash, which is not supported.`);
  if (saltLength < 0) throw new DerError("negative PSS salt length");
  return { kind: "rsa-pss", hash: name, saltLength };
}

function keyFor(spec: SigSpec, key: KeyObject) {
  if (spec.kind === "rsa-pss") return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength };
  if (spec.kind === "rsa") return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key };
}

async function digestOf(content: CmsContent, alg: string): Promise<Buffer> {
  const h = createHash(alg);
  if (content.kind === "buffer") return h.update(content.data).digest();
  await streamRange(content, (chunk) => h.update(chunk));
  return h.digest();
}

export async function streamRange(content: { path: string; start: number; length: number }, onChunk: (chunk: Buffer) => void): Promise<void> {
  if (content.length === 0) return;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      onChunk(chunk);
      done();
    },
  });
  await pipeline(fs.createReadStream(content.path, { start: content.start, end: content.start + content.length - 1, highWaterMark: 1 << 20 }), sink);
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export type CmsOptions = {
  /** What was signed, for reasons: "sw-description", "the package". */
  what: string;
  now?: Date;
  /** Largest content read into memory for EdDSA signatures without signed attributes. */
  maxInMemoryBytes?: number;
};

/**
 * Verifies a detached CMS SignedData (DER) over `content` against pinned certificates. Every SignerInfo must
 * verify (as openssl CMS_verify requires); the first signer is reported.
 */
export async function verifyCmsDetached(signatureDer: Buffer, content: CmsContent, pinned: X509Certificate[], opts: CmsOptions): Promise<CmsVerifyResult> {
  const what = opts.what;
  const now = opts.now ?? new Date();
  try {
    if (pinned.length === 0) return { ok: false, reason: "No certificates are pinned for this manufacturer, so no signature can be trusted." };
    let sd: SignedData;
    try {
      sd = parseSignedData(signatureDer);
    } catch (e) {
      if (e instanceof CmsReject) throw e;
      return { ok: false, reason: `The signature of ${what} is not a valid CMS signature (${e instanceof Error ? e.message : "unreadable"}).` };
    }
    if (sd.eContentPresent) return { ok: false, reason: `The signature of ${what} carries its own content; a detached signature is required.` };
    if (sd.eContentType !== OID.data) return { ok: false, reason: `The signature of ${what} is over an unexpected content type (${sd.eContentType}).` };
    if (sd.signers.length === 0) return { ok: false, reason: `The signature of ${what} has no signers.` };
    const pinnedInfo = pinned.map(certInfo);
    const embeddedInfo = sd.certs.map(certInfo);
    let first: SignerIdentity | undefined;
    for (const si of sd.signers) {
      const digest = digestName(si.digestOid, what);
      const spec = signatureSpec(si.sigAlg, digest, what);
      const signer = [...embeddedInfo, ...pinnedInfo].find((c) =>
        "ski" in si.sid ? !!c.ski && sameBytes(c.ski, si.sid.ski) : sameBytes(c.issuerRaw, si.sid.issuerRaw) && sameBytes(c.serial, si.sid.serial),
      );
      if (!signer) return { ok: false, reason: `The signature of ${what} does not include the signer's certificate, and no pinned certificate matches the signer.` };
      checkTrust(signer, embeddedInfo, pinnedInfo, now, what);
      const key = keyFor(spec, signer.cert.publicKey);
      let valid: boolean;
      if (si.signedAttrs) {
        const attrs = si.signedAttrs.children.map((a) => ({ type: readOid(a.children[0], "attribute type"), values: expect(a.children[1], TAG.SET, "attribute values").children }));
        const ct = attrs.filter((a) => a.type === OID.attrContentType);
        const md = attrs.filter((a) => a.type === OID.attrMessageDigest);
        if (ct.length !== 1 || ct[0]!.values.length !== 1 || readOid(ct[0]!.values[0], "content type") !== sd.eContentType) {
          return { ok: false, reason: `The signature of ${what} has a missing or wrong content-type attribute.` };
        }
        if (md.length !== 1 || md[0]!.values.length !== 1) return { ok: false, reason: `The signature of ${what} has no message digest.` };
        const expected = expect(md[0]!.values[0], TAG.OCTET_STRING, "messageDigest").content;
        const actual = await digestOf(content, digest);
        if (!sameBytes(expected, actual)) return { ok: false, reason: `${capitalise(what)} does not match its signature (it was changed after it was signed, or signed by someone else).` };
        const signedBytes = Buffer.concat([Buffer.from([TAG.SET]), si.signedAttrs.raw.subarray(1)]);
        valid = safe(() => cryptoVerify(spec.hash, signedBytes, key, si.signature));
      } else if (spec.kind === "eddsa") {
        const data = await contentBuffer(content, opts.maxInMemoryBytes ?? 64 * 1024 * 1024, what);
        valid = safe(() => cryptoVerify(null, data, key, si.signature));
      } else {
        const v = createVerify(spec.hash!);
        if (content.kind === "buffer") v.update(content.data);
        else await streamRange(content, (chunk) => v.update(chunk));
        valid = safe(() => v.verify(key, si.signature));
      }
      if (!valid) return { ok: false, reason: `The signature of ${what} is invalid (${what} was changed after it was signed, or the signature was made with a different key).` };
      first ??= identity(signer.cert);
    }
    return { ok: true, signer: first! };
  } catch (e) {
    if (e instanceof CmsReject) return { ok: false, reason: e.message };
    if (e instanceof DerError) return { ok: false, reason: `The signature of ${what} could not be read (${e.message}).` };
    throw e;
  }
}

async function contentBuffer(content: CmsContent, max: number, what: string): Promise<Buffer> {
  if (content.kind === "buffer") return content.data;
  if (content.length > max) throw new CmsReject(`${capitalise(what)} is too large for an EdDSA signature without signed attributes.`);
  const parts: Buffer[] = [];
  await streamRange(content, (c) => parts.push(c));
  return Buffer.concat(parts);
}

export function identity(cert: X509Certificate): SignerIdentity {
  return { subject: oneLine(cert.subject), issuer: oneLine(cert.issuer), serialNumber: cert.serialNumber.toLowerCase(), fingerprintSha256: fingerprintHex(cert), notAfter: new Date(cert.validTo).toISOString() };
}

/** "the package" → "The package"; file names such as "sw-description" keep their spelling. */
function capitalise(s: string): string {
  return s.startsWith("the ") ? `T${s.slice(1)}` : s;
}
