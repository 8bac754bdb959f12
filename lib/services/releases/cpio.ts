import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { streamRange } from "./cms";

// Reader for the two cpio formats SWUpdate accepts: "newc" (magic 070701) and "crc" (070702, newc plus a
// 32-bit byte-sum of each file's data). Layout per entry: 110-byte ASCII header (magic + 13 × 8 hex digits),
// the NUL-terminated name, padding to a multiple of 4, the data, padding to a multiple of 4. The archive ends
// with an entry named TRAILER!!!. Only headers and names are read here; data is streamed by the caller.

export type CpioFormat = "newc" | "crc";

export type CpioEntry = {
  name: string;
  mode: number;
  size: number;
  /** Byte offset of the entry's data in the file. */
  dataOffset: number;
  /** The header's check field (the byte-sum for the crc format, 0 for newc). */
  check: number;
};

export class CpioError extends Error {}

export const CPIO_HEADER_SIZE = 110;
const MAX_NAME = 4096;

const align4 = (n: number) => (n + 3) & ~3;

export function cpioMagic(head: Buffer): CpioFormat | null {
  const magic = head.subarray(0, 6).toString("latin1");
  return magic === "070701" ? "newc" : magic === "070702" ? "crc" : null;
}

function field(h: Buffer, i: number): number {
  const s = h.subarray(6 + i * 8, 14 + i * 8).toString("latin1");
  if (!/^[0-9A-Fa-f]{8}$/.test(s)) throw new CpioError("a cpio header field is not hexadecimal");
  return parseInt(s, 16);
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  if (got !== length) throw new CpioError("the archive is truncated");
  return buf;
}

/** Reads one header at `offset`. Returns null at the trailer. */
export async function readCpioHeader(fh: FileHandle, fileSize: number, offset: number): Promise<{ format: CpioFormat; entry: CpioEntry; next: number } | null> {
  if (offset + CPIO_HEADER_SIZE > fileSize) throw new CpioError("the archive is truncated (no TRAILER!!! entry)");
  const h = await readExactly(fh, CPIO_HEADER_SIZE, offset);
  const format = cpioMagic(h);
  if (!format) throw new CpioError(`there is no cpio header at byte ${offset}`);
  const mode = field(h, 1);
  const size = field(h, 6);
  const nameSize = field(h, 11);
  const check = field(h, 12);
  if (nameSize < 2 || nameSize > MAX_NAME) throw new CpioError(`a cpio entry name at byte ${offset} has an invalid length`);
  const nameBuf = await readExactly(fh, nameSize, offset + CPIO_HEADER_SIZE);
  if (nameBuf[nameSize - 1] !== 0 || nameBuf.subarray(0, nameSize - 1).includes(0)) throw new CpioError(`a cpio entry name at byte ${offset} is malformed`);
  const name = nameBuf.subarray(0, nameSize - 1).toString("utf8");
  if (name === "TRAILER!!!") return null;
  const dataOffset = align4(offset + CPIO_HEADER_SIZE + nameSize);
  if (dataOffset + size > fileSize) throw new CpioError(`the archive is truncated inside ${name}`);
  return { format, entry: { name, mode, size, dataOffset, check }, next: align4(dataOffset + size) };
}

/** Lists every entry up to the trailer. All entries must use the same format. */
export async function readCpioIndex(fh: FileHandle, fileSize: number, maxEntries = 10_000): Promise<{ format: CpioFormat; entries: CpioEntry[] }> {
  const entries: CpioEntry[] = [];
  let format: CpioFormat | undefined;
  let offset = 0;
  for (;;) {
    const r = await readCpioHeader(fh, fileSize, offset);
    if (!r) break;
    if (format && r.format !== format) throw new CpioError("the archive mixes cpio formats");
    format = r.format;
    entries.push(r.entry);
    if (entries.length > maxEntries) throw new CpioError(`the archive has more than ${maxEntries} entries`);
    offset = r.next;
  }
  if (!format) throw new CpioError("the archive is empty");
  return { format, entries };
}

export async function readEntry(fh: FileHandle, entry: CpioEntry): Promise<Buffer> {
  return readExactly(fh, entry.size, entry.dataOffset);
}

/** Streams an entry's data through SHA-256 (and the crc-format byte-sum). Memory use is one read chunk. */
export async function hashEntry(path: string, entry: CpioEntry): Promise<{ sha256: string; byteSum: number }> {
  const h = createHash("sha256");
  let sum = 0;
  await streamRange({ path, start: entry.dataOffset, length: entry.size }, (chunk) => {
    h.update(chunk);
    let s = 0;
    for (let i = 0; i < chunk.length; i++) s += chunk[i]!;
    sum = (sum + s) >>> 0;
  });
  return { sha256: h.digest("hex"), byteSum: sum };
}

/** Writes a cpio archive in memory (tests and small tools only; real packages come from vendors). */
export function buildCpio(files: { name: string; data: Buffer }[], format: CpioFormat = "crc"): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const pad = () => {
    const n = align4(offset) - offset;
    if (n) push(Buffer.alloc(n));
  };
  const entry = (name: string, data: Buffer, mode: number, ino: number) => {
    let sum = 0;
    if (format === "crc") for (const b of data) sum = (sum + b) >>> 0;
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");
    const nameBuf = Buffer.from(`${name}\0`, "utf8");
    const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBuf.length, sum];
    push(Buffer.from((format === "crc" ? "070702" : "070701") + fields.map(hex).join(""), "latin1"));
    push(nameBuf);
    pad();
    push(data);
    pad();
  };
  files.forEach((f, i) => entry(f.name, f.data, 0o100644, i + 1));
  entry("TRAILER!!!", Buffer.alloc(0), 0, 0);
  const rest = align4(offset) - offset;
  if (rest) push(Buffer.alloc(rest));
  return Buffer.concat(parts);
}
