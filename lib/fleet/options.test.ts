import { describe, expect, it } from "vitest";
import { lookup, parseArgs, parseDotenv, parseModelMap, parseRegressions, UsageError, type FleetOptions } from "./options";

const parse = (args: string[], env: Record<string, string> = {}) => parseArgs(args, env) as FleetOptions;

describe("per-model settings", () => {
  it("reads a default and per-model overrides", () => {
    const m = parseModelMap("0.02,MFP4=0.3, NVX3=0.05", 0.05, "--fail", { min: 0, max: 1 });
    expect(lookup(m, "MFP4")).toBe(0.3);
    expect(lookup(m, "NVX3")).toBe(0.05);
    expect(lookup(m, "HVV7")).toBe(0.02);
    expect(lookup(parseModelMap("MFP4=1", 0.05, "--fail", { min: 0, max: 1 }), "X")).toBe(0.05);
    expect(lookup(parseModelMap("*=0.5", 0.05, "--fail", { min: 0, max: 1 }), "X")).toBe(0.5);
  });

  it("refuses values out of range and odd keys", () => {
    for (const bad of ["1.5", "MFP4=-1", "MFP4=", "x", "bad key=0.1"]) expect(() => parseModelMap(bad, 0, "--fail", { min: 0, max: 1 })).toThrow(UsageError);
  });

  it("reads regressions with metric aliases and an optional version", () => {
    expect(parseRegressions("MFP4=powerDrawW:1.5,NVX3@3.2.0=alarms:4")).toEqual([
      { model: "MFP4", version: null, metric: "powerDrawW", factor: 1.5 },
      { model: "NVX3", version: "3.2.0", metric: "alarmCount", factor: 4 },
    ]);
    expect(() => parseRegressions("MFP4=temperature:2")).toThrow(/unknown metric/);
    expect(() => parseRegressions("MFP4=powerDrawW")).toThrow(UsageError);
    expect(() => parseRegressions("MFP4=powerDrawW:0")).toThrow(UsageError);
  });
});

describe("command line", () => {
  it("has defaults that follow the server's environment", () => {
    const o = parse([], { CORRIDOR_DATA_DIR: "/d", PORT: "3240", DDI_TENANT: "T1", CORRIDOR_FLEET_SECRET: "s".repeat(20) });
    expect(o).toMatchObject({
      devices: null, url: "http://localhost:3240", tenant: "T1", controllersFile: "/d/fleet-controllers.txt", stateFile: "/d/fleet-state.json",
      secret: "s".repeat(20), durationS: null, timeScale: 1, concurrency: 64, statusEveryS: 10, verbosity: "normal",
    });
    expect(parse([]).controllersFile).toBe(".data/fleet-controllers.txt");
    expect(parse([]).url).toBe("http://localhost:3000");
  });

  it("reads options in both --name value and --name=value forms", () => {
    const o = parse(["--devices", "300", "--duration=60", "--fail", "MFP4=0.3", "--regress", "MFP4=power:2", "--regress=HVV7=drift:3", "--url", "http://h:1/", "--state", "none", "--quiet"]);
    expect(o.devices).toBe(300);
    expect(o.durationS).toBe(60);
    expect(lookup(o.fail, "MFP4")).toBe(0.3);
    expect(o.regress.map((r) => r.metric)).toEqual(["powerDrawW", "sensorDrift"]);
    expect(o.url).toBe("http://h:1");
    expect(o.stateFile).toBeNull();
    expect(o.verbosity).toBe("quiet");
    expect(parse(["--controllers", "x/list.csv"]).stateFile).toBe("x/fleet-state.json");
  });

  it("lets the last of --quiet / --verbose win", () => {
    expect(parse(["--quiet", "--verbose"]).verbosity).toBe("verbose");
    expect(parse(["--verbose", "--quiet"]).verbosity).toBe("quiet");
  });

  it("refuses unknown options and bad values with a usage error", () => {
    for (const bad of [["--devices", "0"], ["--devices", "1.5"], ["--nope"], ["--devices"], ["stray"], ["--url", "ftp://x"], ["--concurrency", "0"], ["--quiet=1"], ["--tenant", "a b"]]) {
      expect(() => parseArgs(bad, {})).toThrow(UsageError);
    }
    expect(parseArgs(["--help"], {})).toBe("help");
  });
});

describe("dotenv", () => {
  it("reads KEY=value lines, strips quotes and comments", () => {
    expect(parseDotenv('A=1\n# c\nexport B="two words"\nC=x # note\nD=\'q\'\nbad line\n')).toEqual({ A: "1", B: "two words", C: "x", D: "q" });
  });
});
