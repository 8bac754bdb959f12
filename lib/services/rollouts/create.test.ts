import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { WaveInput } from "@/lib/validation/rollouts";
import { assignWaves } from "./create";

// assignWaves splits a rollout's targets into waves; it is pure, so its rules are checked here directly.

type T = { id: number; unit_id: number; sandbox: boolean };
const W = (w: z.input<typeof WaveInput>) => WaveInput.parse(w);

/** `n` devices per unit in `units`, ids from `from`, the first `sandbox` of each unit being sandbox devices. */
function fleet(units: number[], n: number, sandbox = 0, from = 1): T[] {
  let id = from;
  return units.flatMap((unit) => Array.from({ length: n }, (_, i) => ({ id: id++, unit_id: unit, sandbox: i < sandbox })));
}

const unitOf = (targets: T[], ids: number[]) => ids.map((id) => targets.find((t) => t.id === id)!.unit_id);
const countBy = (xs: number[]) => xs.reduce<Record<number, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});

describe("assignWaves", () => {
  it("ROL-01: the lab wave takes exactly the sandbox devices", () => {
    const targets = fleet([10, 20], 5, 2);
    const [lab, rest] = assignWaves(targets, [W({ kind: "lab", name: "Bench" }), W({ kind: "general", name: "All" })], 7);
    expect(lab!.sort((a, b) => a - b)).toEqual(targets.filter((t) => t.sandbox).map((t) => t.id));
    expect(rest).toHaveLength(6);
    expect(rest!.every((id) => !targets.find((t) => t.id === id)!.sandbox)).toBe(true);
  });

  it("ROL-01: a pilot by units takes every remaining device of those units and nothing else", () => {
    const targets = fleet([1, 2, 3], 4, 1);
    const [lab, pilot, general] = assignWaves(
      targets,
      [W({ kind: "lab", name: "Bench" }), W({ kind: "pilot", name: "ICU", unitIds: [2, 3] }), W({ kind: "general", name: "All" })],
      3,
    );
    expect(lab).toHaveLength(3);
    // Units 2 and 3 minus their sandbox devices (already in the lab).
    expect(countBy(unitOf(targets, pilot!))).toEqual({ 2: 3, 3: 3 });
    expect(countBy(unitOf(targets, general!))).toEqual({ 1: 3 });
  });

  it("ROL-01: a pilot by percentage takes ceil(percent) of every unit (a stratified sample)", () => {
    // Units of 10, 3 and 1 devices: 15 % → ceil(1.5) = 2, ceil(0.45) = 1, ceil(0.15) = 1.
    const targets = [...fleet([1], 10), ...fleet([2], 3, 0, 100), ...fleet([3], 1, 0, 200)];
    const [pilot, rest] = assignWaves(targets, [W({ kind: "pilot", name: "Sample", percent: 15 }), W({ kind: "general", name: "All" })], 11);
    expect(countBy(unitOf(targets, pilot!))).toEqual({ 1: 2, 2: 1, 3: 1 });
    expect(rest).toHaveLength(10);
    // A pilot without a percentage samples 10 % (at least one device) of every unit.
    const [defaultPilot] = assignWaves(targets, [W({ kind: "pilot", name: "Sample" }), W({ kind: "general", name: "All" })], 11);
    expect(countBy(unitOf(targets, defaultPilot!))).toEqual({ 1: 1, 2: 1, 3: 1 });
  });

  it("ROL-01: general waves take their share of all targets in turn, and the last general wave takes the rest", () => {
    const targets = fleet([1, 2], 10);
    const split = assignWaves(
      targets,
      [W({ kind: "general", name: "A", percent: 10 }), W({ kind: "general", name: "B", percent: 25 }), W({ kind: "general", name: "C", percent: 10 })],
      5,
    );
    // 10 % and 25 % of 20 targets; the last one takes all 13 left, whatever its percentage says.
    expect(split.map((s) => s.length)).toEqual([2, 5, 13]);
    const all = split.flat();
    expect(new Set(all).size).toBe(20);
    expect(all.sort((a, b) => a - b)).toEqual(targets.map((t) => t.id));
  });

  it("ROL-01: every device lands in at most one wave, in the order lab → pilot → general", () => {
    const targets = fleet([1, 2, 3, 4], 7, 1);
    const split = assignWaves(
      targets,
      [W({ kind: "lab", name: "L" }), W({ kind: "pilot", name: "P", percent: 30 }), W({ kind: "general", name: "G1", percent: 50 }), W({ kind: "general", name: "G2" })],
      99,
    );
    expect(split.map((s) => s.length)).toEqual([4, 8, 14, 2]);
    expect(new Set(split.flat()).size).toBe(28);
  });

  it("ROL-01: the split is deterministic for the same salt, and another salt samples other devices", () => {
    const targets = fleet([1, 2, 3], 20);
    const waves = [W({ kind: "pilot", name: "P", percent: 10 }), W({ kind: "general", name: "G" })];
    const a = assignWaves(targets, waves, 42);
    const b = assignWaves([...targets].reverse(), waves, 42);
    expect(b).toEqual(a);
    const others = [43, 44, 45].map((salt) => assignWaves(targets, waves, salt)[0]!.sort((x, y) => x - y));
    expect(others.some((pilot) => JSON.stringify(pilot) !== JSON.stringify([...a[0]!].sort((x, y) => x - y)))).toBe(true);
    // A sample is not simply the lowest ids of each unit.
    const lowest = [1, 2, 21, 22, 41, 42];
    expect([...a[0]!].sort((x, y) => x - y)).not.toEqual(lowest);
    expect(countBy(unitOf(targets, a[0]!))).toEqual({ 1: 2, 2: 2, 3: 2 });
  });
});
