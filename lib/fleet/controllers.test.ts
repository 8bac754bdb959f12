import { describe, expect, it } from "vitest";
import { fleetToken } from "@/lib/services/ddi/fleet-token";
import { ControllersFileError, formatControllers, parseControllers, withTokens } from "./controllers";

describe("controllers file", () => {
  it('reads "controllerId[,token]" lines, skipping comments and blanks', () => {
    const tok = "t".repeat(43);
    const e = parseControllers(`# fleet\nMFP4-100001\n\nNVX3-100002,${tok}\r\n`);
    expect(e).toEqual([
      { controllerId: "MFP4-100001", token: null, model: "MFP4", firmwareVersion: null, securityVersion: null, hardwareRevision: null },
      { controllerId: "NVX3-100002", token: tok, model: "NVX3", firmwareVersion: null, securityVersion: null, hardwareRevision: null },
    ]);
  });

  it("reads the CSV the demo seed writes (header names the columns, any order)", () => {
    const e = parseControllers("controllerId,model,firmwareVersion,securityVersion,hardwareRevision\nMFP4-100001,MFP4,4.2.3,5,C\nPUMP-7,MSS2,2.9.1,8,1.1\n");
    expect(e[0]).toEqual({ controllerId: "MFP4-100001", token: null, model: "MFP4", firmwareVersion: "4.2.3", securityVersion: 5, hardwareRevision: "C" });
    expect(e[1]!.model).toBe("MSS2");
    expect(parseControllers("securityVersion,controllerId\n3,A-1\n")[0]).toMatchObject({ controllerId: "A-1", securityVersion: 3 });
  });

  it("names the line of a problem", () => {
    expect(() => parseControllers("A-1\nA-1\n")).toThrow(/line 2: A-1 appears twice/);
    expect(() => parseControllers("A-1,short\n")).toThrow(/line 1: the token/);
    expect(() => parseControllers("A 1\n")).toThrow(ControllersFileError);
    expect(() => parseControllers("controllerId,colour\nA-1,red\n")).toThrow(/unknown column "colour"/);
    expect(() => parseControllers("controllerId,securityVersion\nA-1,high\n")).toThrow(/line 2: securityVersion/);
    expect(() => parseControllers("A-1,tttttttttttttttttttt,extra\n")).toThrow(/3 fields/);
  });

  it("derives missing tokens from the fleet secret exactly as the demo seed does", () => {
    const secret = "s".repeat(32);
    const [a, b] = withTokens(parseControllers(`MFP4-100001\nNVX3-100002,${"x".repeat(20)}\n`), secret);
    expect(a!.token).toBe(fleetToken(secret, "MFP4-100001"));
    expect(b!.token).toBe("x".repeat(20));
    expect(() => withTokens(parseControllers("MFP4-100001\n"), null)).toThrow(/no token and no fleet secret/);
    expect(withTokens(parseControllers(`A-1,${"x".repeat(20)}\n`), null)[0]!.token).toBe("x".repeat(20));
  });

  it("reads back what the demo seed writes", () => {
    const text = formatControllers([
      { serial: "MFP4-100001", firmwareVersion: "4.2.3", securityVersion: 5, hardwareRevision: "C" },
      { serial: "NVX3-100001", firmwareVersion: "3.1.0", securityVersion: 21, hardwareRevision: "A2" },
    ]);
    expect(parseControllers(text)).toEqual([
      { controllerId: "MFP4-100001", token: null, model: "MFP4", firmwareVersion: "4.2.3", securityVersion: 5, hardwareRevision: "C" },
      { controllerId: "NVX3-100001", token: null, model: "NVX3", firmwareVersion: "3.1.0", securityVersion: 21, hardwareRevision: "A2" },
    ]);
    expect(parseControllers(formatControllers([]))).toEqual([]);
  });
});
