import { describe, expect, it } from "vitest";
import { changedFields, redact } from "./record";

describe("audit field diff (AUD-02)", () => {
  it("lists exactly the fields whose values differ", () => {
    expect(changedFields({ status: "active", unitId: 3, note: null }, { status: "maintenance", unitId: 3, note: null })).toEqual(["status"]);
    expect(changedFields({ a: 1 }, { a: 1, b: 2 })).toEqual(["b"]);
    expect(changedFields(null, { a: 1 })).toBeNull();
  });
});

describe("audit redaction (AUD-11)", () => {
  it("hides secrets and keeps what an inspector needs, such as the content hash a signature binds to", () => {
    expect(
      redact({ passwordHash: "scrypt$…", password: "p", tokenHash: "ab", token: "t", clientSecret: "s", tokenHint: "1234", contentHash: "cd", textHash: "ef" }),
    ).toEqual({ passwordHash: "[redacted]", password: "[redacted]", tokenHash: "[redacted]", token: "[redacted]", clientSecret: "[redacted]", tokenHint: "1234", contentHash: "cd", textHash: "ef" });
  });
});
