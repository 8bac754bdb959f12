import { describe, expect, it } from "vitest";
import { MinHeap, Scheduler, type Clock } from "./scheduler";

/** A manual clock: timers fire only when the test advances time. */
function manualClock() {
  let now = 1_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimer: (fn, ms) => {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimer: (h) => void timers.delete(h as number),
  };
  const advance = async (ms: number) => {
    const target = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      now = Math.max(now, due[1].at);
      timers.delete(due[0]);
      due[1].fn();
      await flush();
    }
    now = target;
    await flush();
  };
  return { clock, advance, timerCount: () => timers.size, get now() { return now; } };
}
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("MinHeap", () => {
  it("pops in key order, equal keys first-in first-out", () => {
    const h = new MinHeap<string>();
    const items: [number, string][] = [[5, "e"], [1, "a1"], [3, "c"], [1, "a2"], [4, "d"], [2, "b"], [1, "a3"]];
    for (const [k, v] of items) h.push(k, v);
    const out: string[] = [];
    while (h.size) out.push(h.pop()!.value);
    expect(out).toEqual(["a1", "a2", "a3", "b", "c", "d", "e"]);
  });

  it("stays ordered under random pushes and pops", () => {
    const h = new MinHeap<number>();
    let last = -Infinity;
    let x = 12345;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) h.push(Math.floor(rand() * 1000), i);
    while (h.size) {
      const k = h.pop()!.key;
      expect(k).toBeGreaterThanOrEqual(last);
      last = k;
    }
  });
});

describe("Scheduler", () => {
  it("runs tasks at their time with one timer, whatever the number of tasks", async () => {
    const c = manualClock();
    const s = new Scheduler({ concurrency: 4, clock: c.clock });
    const ran: number[] = [];
    for (const d of [300, 100, 200, 100]) s.after(d, () => void ran.push(d));
    expect(c.timerCount()).toBe(1);
    await c.advance(99);
    expect(ran).toEqual([]);
    await c.advance(1);
    expect(ran).toEqual([100, 100]);
    await c.advance(200);
    expect(ran).toEqual([100, 100, 200, 300]);
    expect(c.timerCount()).toBe(0);
  });

  it("never runs more than `concurrency` tasks at once and queues the rest in order", async () => {
    const c = manualClock();
    const s = new Scheduler({ concurrency: 2, clock: c.clock });
    const release: (() => void)[] = [];
    const started: number[] = [];
    for (let i = 0; i < 5; i++) s.after(10, () => new Promise<void>((r) => (started.push(i), release.push(r))));
    await c.advance(10);
    expect(started).toEqual([0, 1]);
    expect(s.running).toBe(2);
    expect(s.queued).toBe(3);
    release.shift()!();
    await flush();
    expect(started).toEqual([0, 1, 2]);
    while (release.length) {
      release.shift()!();
      await flush();
    }
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(s.running).toBe(0);
  });

  it("records how late queued tasks start (lag)", async () => {
    const c = manualClock();
    const s = new Scheduler({ concurrency: 1, clock: c.clock });
    let release!: () => void;
    s.after(0, () => new Promise<void>((r) => (release = r)));
    s.after(0, () => {});
    await c.advance(0);
    expect(s.takeMaxLag()).toBe(0);
    await c.advance(500);
    release();
    await flush();
    expect(s.takeMaxLag()).toBe(500);
    expect(s.takeMaxLag()).toBe(0);
  });

  it("skips cancelled tasks and re-arms for an earlier task", async () => {
    const c = manualClock();
    const s = new Scheduler({ concurrency: 1, clock: c.clock });
    const ran: string[] = [];
    const h = s.after(50, () => void ran.push("cancelled"));
    s.after(100, () => void ran.push("late"));
    s.after(10, () => void ran.push("early"));
    h.cancel();
    await c.advance(100);
    expect(ran).toEqual(["early", "late"]);
  });

  it("reports task errors and keeps going", async () => {
    const c = manualClock();
    const errors: unknown[] = [];
    const s = new Scheduler({ concurrency: 1, clock: c.clock, onError: (e) => errors.push(e) });
    const ran: string[] = [];
    s.after(1, () => {
      throw new Error("sync");
    });
    s.after(1, () => Promise.reject(new Error("async")));
    s.after(1, () => void ran.push("ok"));
    await c.advance(1);
    expect(errors.map((e) => (e as Error).message)).toEqual(["sync", "async"]);
    expect(ran).toEqual(["ok"]);
  });

  it("stop() drops pending tasks, starts nothing new and waits for running ones", async () => {
    const c = manualClock();
    const s = new Scheduler({ concurrency: 2, clock: c.clock });
    let release!: () => void;
    const ran: string[] = [];
    s.after(0, () => new Promise<void>((r) => (release = r)));
    s.after(1000, () => void ran.push("never"));
    await c.advance(0);
    let stopped = false;
    const p = s.stop().then(() => (stopped = true));
    s.after(0, () => void ran.push("after stop"));
    await flush();
    expect(stopped).toBe(false);
    release();
    await p;
    await c.advance(2000);
    expect(ran).toEqual([]);
    expect(c.timerCount()).toBe(0);
  });

  it("handles ten thousand devices' tasks with a single timer", async () => {
    const c = manualClock();
    const s = new Scheduler({ concurrency: 64, clock: c.clock });
    let count = 0;
    for (let i = 0; i < 10_000; i++) s.after((i * 7919) % 60_000, () => void count++);
    expect(c.timerCount()).toBe(1);
    await c.advance(60_000);
    expect(count).toBe(10_000);
  });
});
