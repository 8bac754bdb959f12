import { describe, expect, it } from "vitest";
import { createRng } from "@/lib/random";
import { decideMetric, type DeviceExposure } from "./regression";
import { SETTINGS } from "./settings";

const S = SETTINGS["health.regression"].defaults; // alpha 0.01, +25 %, 6 h, 5 devices

const cohort = (means: number[], hours = 24): DeviceExposure[] => means.map((mean) => ({ hours, mean }));

describe("decideMetric (one-sided Welch t-test + minimum effect)", () => {
  it("flags an updated cohort with three times the alarms", () => {
    const r = decideMetric("alarm_rate", cohort([3.1, 2.8, 3.3, 2.9, 3.0, 3.2]), cohort([1.0, 1.1, 0.9, 1.05, 0.95, 1.0]), S);
    expect(r).toMatchObject({ regressed: true, updatedDevices: 6, controlDevices: 6 });
    expect(r.pValue!).toBeLessThan(1e-6);
    expect(r.relativeChange!).toBeCloseTo(2.05 / 1, 1);
    expect(r.reason).toMatch(/^Regressed: alarms per hour/);
  });

  it("matches a Welch t-test computed by hand", () => {
    // x̄u = 3, s²u = 0.5 (n 5); x̄c = 2, s²c = 2.5 (n 5): t = 1 / sqrt(0.1 + 0.5) = 1.2910, df = 0.36 / (0.0025 + 0.0625) = 5.5385.
    const r = decideMetric("reboots", cohort([2, 3, 3, 3, 4]), cohort([0, 1, 2, 3, 4]), { ...S, alpha: 0.75, minEffectPct: 1 });
    // P(T > 1.2910) with 5.5385 degrees of freedom, by numerical integration of the t density: 0.12398.
    expect(r.pValue!).toBeCloseTo(0.12398, 4);
    // Each of the six metrics is tested at alpha / 6 (Bonferroni): 0.125 lets 0.124 through, 0.12 would not.
    expect(r.regressed).toBe(true);
    expect(decideMetric("reboots", cohort([2, 3, 3, 3, 4]), cohort([0, 1, 2, 3, 4]), { ...S, alpha: 0.72, minEffectPct: 1 }).regressed).toBe(false);
  });

  it("does not flag noise: both cohorts drawn from the same distribution, over many seeds", () => {
    let flagged = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rng = createRng(seed);
      const draw = () => cohort(Array.from({ length: 8 }, () => rng.poisson(24) / 24));
      if (decideMetric("alarm_rate", draw(), draw(), S).regressed) flagged++;
    }
    // alpha = 0.01 one-sided, plus the 25 % effect floor: at most a stray one in 200.
    expect(flagged).toBeLessThanOrEqual(2);
  });

  it("does not flag an improvement, however significant", () => {
    const r = decideMetric("power_draw", cohort([5, 5.1, 4.9, 5, 5.05]), cohort([10, 10.2, 9.9, 10.1, 10]), S);
    expect(r.regressed).toBe(false);
    expect(r.pValue!).toBeGreaterThan(0.99);
    expect(r.reason).toMatch(/No significant worsening/);
  });

  it("needs the minimum effect: a significant but small rise is not a regression", () => {
    const r = decideMetric("sensor_drift", cohort([1.1, 1.11, 1.09, 1.1, 1.1, 1.1]), cohort([1.0, 1.01, 0.99, 1.0, 1.0, 1.0]), S);
    expect(r.pValue!).toBeLessThan(S.alpha);
    expect(r.relativeChange!).toBeCloseTo(0.1, 2);
    expect(r.regressed).toBe(false);
    expect(r.reason).toMatch(/Significant but small.*\+25 %/);
  });

  it("counts only devices with the minimum exposure, and decides nothing below the minimum cohort size", () => {
    const short = decideMetric("alarm_rate", cohort([3, 3, 3, 3, 3, 3], 5), cohort([1, 1, 1, 1, 1, 1]), S);
    expect(short).toMatchObject({ regressed: false, updatedDevices: 0, controlDevices: 6, pValue: null });
    expect(short.reason).toMatch(/Not enough data: 0 updated and 6 not-yet-updated devices with at least 6 h/);
    const few = decideMetric("alarm_rate", cohort([3, 3.1, 2.9, 3]), cohort([1, 1.1, 0.9, 1, 1]), S);
    expect(few).toMatchObject({ regressed: false, updatedDevices: 4, pValue: null });
  });

  it("cohorts without spread are decided by their means; a rise from a control mean of 0 counts", () => {
    const r = decideMetric("error_codes", cohort([2, 2, 2, 2, 2]), cohort([0, 0, 0, 0, 0]), S);
    expect(r).toMatchObject({ regressed: true, pValue: 0, relativeChange: null });
    expect(decideMetric("error_codes", cohort([0, 0, 0, 0, 0]), cohort([0, 0, 0, 0, 0]), S)).toMatchObject({ regressed: false, pValue: 1 });
    // The result is stored as incident evidence: it must survive JSON unchanged.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
