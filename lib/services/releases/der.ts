// A small, strict-enough ASN.1 DER/BER reader for CMS SignedData and X.509 parsing. It only reads: every
// length is bounds-checked, nesting is limited, and indefinite lengths (BER, as `openssl cms -stream` writes)
// are accepted for constructed values only. Nothing here decides trust; see cms.ts.

export class DerError extends Error {}

export type Der = {
  /** The first identifier octet (class + constructed bit + low tag number), e.g. 0x30 for SEQUENCE. */
  tag: number;
  cls: number;
  constructed: boolean;
  tagNo: number;
  /** The whole TLV, identifier to end of content (for indefinite lengths: including the end-of-contents octets). */
  raw: Buffer;
  /** The content octets (for indefinite lengths: without the end-of-contents octets). */
  content: Buffer;
  /** Parsed children of a constructed value. */
  children: Der[];
};

const MAX_DEPTH = 40;

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Parses exactly one value that must fill the whole buffer. */
export function parseDer(buf: Buffer): Der {
  const [node, end] = parseAt(buf, 0, buf.length, 0);
  if (end !== buf.length) throw new DerError("trailing bytes after the ASN.1 value");
  return node;
}

function parseAt(buf: Buffer, start: number, limit: number, depth: number): [Der, number] {
  if (depth > MAX_DEPTH) throw new DerError("ASN.1 nesting too deep");
  let p = start;
  if (p >= limit) throw new DerError("truncated ASN.1 value");
  const tag = buf[p++]!;
  const cls = tag >> 6;
  const constructed = (tag & 0x20) !== 0;
  let tagNo = tag & 0x1f;
  if (tagNo === 0x1f) {
    tagNo = 0;
    for (let i = 0; ; i++) {
      if (p >= limit || i > 3) throw new DerError("bad ASN.1 tag");
      const b = buf[p++]!;
      tagNo = tagNo * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (p >= limit) throw new DerError("truncated ASN.1 length");
  const first = buf[p++]!;
  const children: Der[] = [];
  if (first === 0x80) {
    if (!constructed) throw new DerError("indefinite length on a primitive ASN.1 value");
    const contentStart = p;
    for (;;) {
      if (p + 2 > limit) throw new DerError("unterminated indefinite-length ASN.1 value");
      if (buf[p] === 0 && buf[p + 1] === 0) break;
      const [child, next] = parseAt(buf, p, limit, depth + 1);
      children.push(child);
      p = next;
    }
    const content = buf.subarray(contentStart, p);
    p += 2;
    return [{ tag, cls, constructed, tagNo, raw: buf.subarray(start, p), content, children }, p];
  }
  let len: number;
  if (first < 0x80) len = first;
  else {
    const n = first & 0x7f;
    if (n > 4) throw new DerError("ASN.1 length too large");
    len = 0;
    for (let i = 0; i < n; i++) {
      if (p >= limit) throw new DerError("truncated ASN.1 length");
      len = len * 256 + buf[p++]!;
    }
  }
  const end = p + len;
  if (end > limit) throw new DerError("ASN.1 length runs past the end of the data");
  const content = buf.subarray(p, end);
  if (constructed) {
    let q = p;
    while (q < end) {
      const [child, next] = parseAt(buf, q, end, depth + 1);
      children.push(child);
      q = next;
    }
  }
  return [{ tag, cls, constructed, tagNo, raw: buf.subarray(start, end), content, children }, end];
}

export function oidToString(content: Buffer): string {
  if (content.length === 0) throw new DerError("empty OID");
  const parts: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) throw new DerError("OID component too large");
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  if ((content[content.length - 1]! & 0x80) !== 0) throw new DerError("truncated OID");
  const firstArc = parts.shift()!;
  const a = firstArc < 40 ? 0 : firstArc < 80 ? 1 : 2;
  return [a, firstArc - 40 * a, ...parts].join(".");
}

export function expect(node: Der | undefined, tag: number, what: string): Der {
  if (!node || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

export function readOid(node: Der | undefined, what: string): string {
  return oidToString(expect(node, TAG.OID, what).content);
}

/** Context-specific tag [n], constructed or primitive. */
export function isContext(node: Der | undefined, n: number): boolean {
  return !!node && node.cls === 2 && node.tagNo === n;
}

export function readSmallInt(node: Der | undefined, what: string): number {
  const c = expect(node, TAG.INTEGER, what).content;
  if (c.length === 0 || c.length > 4) throw new DerError(`${what} out of range`);
  let v = c[0]! & 0x80 ? -1 : 0;
  for (const b of c) v = v * 256 + b;
  return v;
}
