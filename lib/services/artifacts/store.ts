import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ValidationError } from "../errors";

// Content-addressed artifact files: <dir>/sha256/<first two hex>/<sha256>. Bytes are streamed to disk
// and hashed on the way in, never held in memory whole.

export type StoredFile = { sha256: string; sha1: string; md5: string; size: number };

export function artifactPath(dir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error("invalid sha256");
  return path.join(dir, "sha256", sha256.slice(0, 2), sha256);
}

/** A received file not yet accepted: it lies in the staging folder until promoted or quarantined. */
export type StagedFile = StoredFile & { path: string };

/** Streams a body to the staging folder, hashing it on the way, enforcing the size limit. */
export async function stageStream(dir: string, body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, maxBytes: number): Promise<StagedFile> {
  const stagingDir = path.join(dir, "staging");
  fs.mkdirSync(stagingDir, { recursive: true });
  const tmp = path.join(stagingDir, randomUUID());
  const sha256 = createHash("sha256");
  const sha1 = createHash("sha1");
  const md5 = createHash("md5");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new ValidationError(`The file is larger than the limit of ${Math.round(maxBytes / 1048576)} MB.`));
      sha256.update(chunk);
      sha1.update(chunk);
      md5.update(chunk);
      done(null, chunk);
    },
  });
  const sink = fs.createWriteStream(tmp, { flags: "wx", mode: 0o640 });
  try {
    await pipeline(body, meter, sink);
    if (size === 0) throw new ValidationError("The file is empty.");
    return { sha256: sha256.digest("hex"), sha1: sha1.digest("hex"), md5: md5.digest("hex"), size, path: tmp };
  } catch (err) {
    // The file is opened lazily: wait until the aborted stream has closed, or the removal could come first.
    if (!sink.closed) await new Promise<void>((resolve) => sink.once("close", () => resolve()));
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Moves a staged file to its content address, where it can be served. */
export function promoteStaged(dir: string, staged: StagedFile): StoredFile {
  const dest = artifactPath(dir, staged.sha256);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.renameSync(staged.path, dest); // same bytes → same name, so a concurrent duplicate upload is harmless
  const { path: _p, ...file } = staged;
  return file;
}

/** Moves a staged file out of reach of every serving path, kept for investigation (UPD-01). */
export function quarantineStaged(dir: string, staged: StagedFile): void {
  const dest = path.join(dir, "quarantine", staged.sha256);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.renameSync(staged.path, dest);
}

export async function storeStream(dir: string, body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile> {
  return promoteStaged(dir, await stageStream(dir, body, maxBytes));
}

export type ByteRange = { start: number; end: number };

/**
 * Parses a single `Range: bytes=` header against a file size. Returns null for no/unsupported range,
 * "unsatisfiable" for a range outside the file (416).
 */
export function parseRange(header: string | null, size: number): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
