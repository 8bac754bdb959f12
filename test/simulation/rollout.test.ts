import { afterAll, describe, expect, it } from "vitest";
import { formatResult, runSimulation, simOptionsFromEnv, type SimResult } from "./sim";

// Proof by simulation (ROL-01, ROL-02, ROL-13): the whole run happens once, then each claim is its own
// test. SIM_DEVICES (default 2,000) sets the fleet size; the bench runs it at 10,000.

const run: Promise<SimResult> = runSimulation(simOptionsFromEnv((line) => console.log(`[sim] ${line}`))).then((r) => {
  console.log(formatResult(r));
  return r;
});
// A failed run is reported by every test below; keep it from being an unhandled rejection meanwhile.
run.catch(() => {});

afterAll(async () => {
  await run.catch(() => {});
});

describe(`rollout simulation (${process.env.SIM_DEVICES ?? 2000} devices, real server)`, () => {
  it("nothing installs outside a maintenance window, on a device in clinical use, or during a freeze", async () => {
    const r = await run;
    const installs = r.violations.filter((v) => v.kind === "install");
    expect(installs).toEqual([]);
    expect(Number(r.figures["installs started"])).toBeGreaterThan(0);
  });

  it("nothing is offered outside a window or to a device in use, nor once a freeze has reached the DDI cache", async () => {
    const r = await run;
    expect(r.violations.filter((v) => v.kind === "offer")).toEqual([]);
  });

  it("the failing model's rollout halts by itself inside its pilot wave; its general wave never starts", async () => {
    const r = await run;
    expect(r.bad.state).toBe("halted");
    expect(r.bad.reason).toContain(`Automatic halt in wave "${r.bad.pilotName}"`);
    expect(r.bad.generalActions).toBe(0);
    expect(r.bad.timeToHaltS).toBeGreaterThan(0);
  });

  it("a server SIGKILLed mid-wave and restarted continues: no action lost or duplicated, counters match rows", async () => {
    const r = await run;
    expect(r.killed).not.toBeNull();
    for (const inv of r.invariants) expect({ name: inv.name, ok: inv.ok, detail: inv.detail }).toMatchObject({ ok: true });
    // The wave the server died in went on after the restart, and the rollout finished every wave.
    expect(r.killed!.doneAtEnd).toBeGreaterThan(r.killed!.doneAtKill);
    expect(r.good.state).toBe("completed");
  });
});
