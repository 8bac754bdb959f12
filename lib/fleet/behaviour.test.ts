import { describe, expect, it } from "vitest";
import { initialInUse, MIN_DWELL_S, nextDwellS, planInstall } from "./behaviour";
import { PROFILES } from "./profiles";
import { createRng } from "@/lib/random";

describe("clinical use", () => {
  it("is in use about a share p of the time, changing state with spells around the cycle", () => {
    for (const p of [0.1, 0.6, 0.9]) {
      const rng = createRng(Math.round(p * 100));
      let inUse = initialInUse(p, rng);
      let t = 0;
      let usedFor = 0;
      let spells = 0;
      while (t < 5_000_000) {
        const d = nextDwellS(inUse, p, 1800, rng)!;
        expect(d).toBeGreaterThanOrEqual(MIN_DWELL_S);
        if (inUse) usedFor += d;
        t += d;
        inUse = !inUse;
        spells++;
      }
      expect(usedFor / t).toBeCloseTo(p, 1);
      // About one in-use + idle cycle every 1800 s.
      expect(t / (spells / 2)).toBeGreaterThan(1600);
      expect(t / (spells / 2)).toBeLessThan(2000);
    }
  });

  it("never changes at p = 0 (idle) or p = 1 (in use), and leaves an impossible state at once", () => {
    const rng = createRng(1);
    expect(nextDwellS(false, 0, 1800, rng)).toBeNull();
    expect(nextDwellS(true, 1, 1800, rng)).toBeNull();
    expect(nextDwellS(true, 0, 1800, rng)).toBe(MIN_DWELL_S);
    expect(nextDwellS(false, 1, 1800, rng)).toBe(MIN_DWELL_S);
    expect(Array.from({ length: 100 }, () => initialInUse(0, rng)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => initialInUse(1, rng)).every(Boolean)).toBe(true);
  });
});

describe("install failure model", () => {
  const pump = PROFILES.MFP4!;

  it("fails with the configured probability, with one of the model's failure lines", () => {
    const rng = createRng(7);
    for (const p of [0, 0.05, 0.3, 1]) {
      const plans = Array.from({ length: 4000 }, () => planInstall(pump, p, 1, rng));
      const failed = plans.filter((x) => !x.ok);
      expect(failed.length / plans.length).toBeCloseTo(p, 1);
      for (const f of failed) if (!f.ok) expect(pump.failureLines).toContain(f.line);
    }
  });

  it("takes about the model's install time, scaled by --time-scale; a failure strikes part-way", () => {
    const rng = createRng(8);
    const ok = Array.from({ length: 2000 }, () => planInstall(pump, 0, 1, rng));
    const mean = ok.reduce((s, p) => s + p.durationMs, 0) / ok.length;
    expect(mean / 60_000).toBeGreaterThan(11);
    expect(mean / 60_000).toBeLessThan(13.5);
    const fast = Array.from({ length: 2000 }, () => planInstall(pump, 0, 0.01, rng));
    const fastMean = fast.reduce((s, p) => s + p.durationMs, 0) / fast.length;
    expect(fastMean / mean).toBeCloseTo(0.01, 2);
    for (const p of fast) if (p.ok) expect(p.rebootMs).toBeGreaterThanOrEqual(100);
    const failed = Array.from({ length: 500 }, () => planInstall(pump, 1, 1, rng));
    for (const f of failed) expect(f.durationMs).toBeLessThan(12 * 60_000 * Math.exp(0.8));
    // Never a zero-length install, however small the scale.
    expect(planInstall(pump, 0, 0.0001, rng).durationMs).toBeGreaterThanOrEqual(200);
  });
});
