import { describe, expect, it } from "vitest";
import { createRng } from "@/lib/random";
import { backoffMs, defaultRampSeconds, jitteredMs, parseSleep, rampOffsetMs } from "./timing";

describe("poll timing", () => {
  it("parses hawkBit's HH:MM:SS sleep like SWUpdate", () => {
    expect(parseSleep("00:05:00")).toBe(300);
    expect(parseSleep("01:00:01")).toBe(3601);
    expect(parseSleep("00:00:00")).toBe(45);
    for (const bad of ["5", "00:60:00", "00:00", undefined, 300, "aa:bb:cc"]) expect(parseSleep(bad)).toBeNull();
  });

  it("jitters within ±fraction and never below 100 ms", () => {
    const rng = createRng(1);
    const values = Array.from({ length: 5000 }, () => jitteredMs(300, 0.1, rng));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(270_000);
    expect(Math.max(...values)).toBeLessThanOrEqual(330_000);
    // Spread out, not constant.
    expect(new Set(values).size).toBeGreaterThan(4000);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 300_000)).toBeLessThan(3000);
    expect(jitteredMs(0, 0.1, rng)).toBe(100);
    expect(jitteredMs(10, 0, rng)).toBe(10_000);
  });

  it("backs off exponentially after failed polls, capped, with jitter", () => {
    const rng = createRng(2);
    const at = (failures: number) => Array.from({ length: 200 }, () => backoffMs(10, failures, rng));
    for (const [failures, base] of [[1, 10_000], [2, 20_000], [3, 40_000], [5, 160_000]] as const) {
      const v = at(failures);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(base / 2);
      expect(Math.max(...v)).toBeLessThanOrEqual(base);
    }
    // Cap: 16 × the interval, at least 5 minutes.
    expect(Math.max(...at(30))).toBeLessThanOrEqual(300_000);
    expect(Math.max(...Array.from({ length: 200 }, () => backoffMs(300, 40, rng)))).toBeLessThanOrEqual(4_800_000);
  });

  it("spreads first polls evenly over the ramp", () => {
    const rng = createRng(3);
    const offsets = Array.from({ length: 1000 }, (_, i) => rampOffsetMs(i, 1000, 20, rng));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(20_000);
    // Each second of the ramp gets about 50 first polls.
    const perSecond = new Array(20).fill(0);
    for (const o of offsets) perSecond[Math.floor(o / 1000)]++;
    for (const n of perSecond) expect(Math.abs(n - 50)).toBeLessThanOrEqual(1);
    expect(rampOffsetMs(0, 1, 20, rng)).toBe(0);
    expect(defaultRampSeconds(300)).toBe(6);
    expect(defaultRampSeconds(10_000)).toBe(60);
    expect(defaultRampSeconds(3)).toBe(1);
  });
});
