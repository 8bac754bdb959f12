import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { artifactPath, parseRange, storeStream } from "./store";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corridor-store-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("content-addressed artifact store (UPD-02)", () => {
  it("streams to disk under the sha256 and reports all three hashes", async () => {
    const bytes = Buffer.alloc(300_000, 7);
    const stored = await storeStream(dir, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), 1_000_000);
    expect(stored.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(stored.sha1).toBe(createHash("sha1").update(bytes).digest("hex"));
    expect(stored.size).toBe(300_000);
    expect(fs.readFileSync(artifactPath(dir, stored.sha256)).equals(bytes)).toBe(true);
  });

  it("refuses a file over the size limit and leaves nothing behind", async () => {
    await expect(storeStream(dir, Readable.from([Buffer.alloc(2048)]), 1024)).rejects.toThrow(/larger than the limit/);
    expect(fs.readdirSync(path.join(dir, "staging"))).toEqual([]);
  });

  it("parses byte ranges, including open-ended resume ranges", () => {
    expect(parseRange(null, 100)).toBeNull();
    expect(parseRange("bytes=10-", 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=-5", 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-6", 100)).toBeNull();
  });
});
