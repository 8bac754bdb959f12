import { describe, expect, it } from "vitest";
import { ROLES } from "@/lib/domain";
import { can, PERMISSIONS, rolesWith } from "./permissions";

describe("permission matrix (ACC-02)", () => {
  it("denies by default: unknown permissions and missing roles get nothing", () => {
    expect(can("admin", "no.such.permission" as never)).toBe(false);
    expect(can(null, "devices.read")).toBe(false);
    expect(can(undefined, "audit.read")).toBe(false);
  });

  it("manager and auditor can change nothing", () => {
    // Exports only read (and are audited as such).
    const writes = PERMISSIONS.filter((p) => !p.endsWith(".read") && !p.endsWith(".export"));
    expect(writes.length).toBeGreaterThan(0);
    for (const p of writes) {
      expect(can("manager", p), p).toBe(false);
      expect(can("auditor", p), p).toBe(false);
    }
  });

  it("clinicians cannot see the inventory, the audit trail or settings", () => {
    for (const p of ["devices.read", "audit.read", "settings.read", "users.manage"] as const) expect(can("clinician", p)).toBe(false);
    expect(can("clinician", "briefings.read")).toBe(true);
  });

  it("only admins manage accounts", () => {
    expect(rolesWith("users.manage")).toEqual(["admin"]);
  });

  it("every role listed in the matrix is a real role", () => {
    for (const p of PERMISSIONS) for (const r of rolesWith(p)) expect(ROLES).toContain(r);
  });
});
