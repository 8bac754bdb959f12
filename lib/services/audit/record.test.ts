import { describe, expect, it } from "vitest";
import { changedFields } from "./record";

describe("audit field diff (AUD-02)", () => {
  it("lists exactly the fields whose values differ", () => {
    expect(changedFields({ status: "active", unitId: 3, note: null }, { status: "maintenance", unitId: 3, note: null })).toEqual(["status"]);
    expect(changedFields({ a: 1 }, { a: 1, b: 2 })).toEqual(["b"]);
    expect(changedFields(null, { a: 1 })).toBeNull();
  });
});
