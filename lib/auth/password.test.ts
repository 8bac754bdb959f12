import { describe, expect, it } from "vitest";
import { hashPassword, passwordProblem, verifyPassword } from "./password";

describe("password hashing (ACC-13)", () => {
  it("stores a salted scrypt hash that verifies only the right password", async () => {
    const a = await hashPassword("a long enough passphrase");
    const b = await hashPassword("a long enough passphrase");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("passphrase");
    expect(await verifyPassword("a long enough passphrase", a)).toBe(true);
    expect(await verifyPassword("a long enough passphrasE", a)).toBe(false);
    expect(await verifyPassword("anything", "plain-text")).toBe(false);
  });

  it("applies length and common-password rules, not composition rules", () => {
    expect(passwordProblem("short")).toMatch(/at least 12/);
    expect(passwordProblem("x".repeat(129))).toMatch(/at most 128/);
    expect(passwordProblem("password123")).toMatch(/at least 12/);
    expect(passwordProblem("Password1234".replace("1234", "") + "1")).not.toBeNull();
    expect(passwordProblem("qwerty123456")).toMatch(/too common/);
    expect(passwordProblem("aaaaaaaaaaaa")).toMatch(/too easy/);
    expect(passwordProblem("jdoe-is-my-login", "jdoe")).toMatch(/username/);
    expect(passwordProblem("all lower case words are fine")).toBeNull();
  });
});
