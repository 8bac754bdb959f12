// One scheduler for the whole fleet: a binary min-heap of due times and a single timer armed for the
// earliest one, feeding a bounded pool of running tasks. Ten thousand devices cost ten thousand heap
// entries, not ten thousand timers, and never more than `concurrency` requests in flight.

export type Clock = {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
};

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Min-heap keyed by (time, insertion order), so equal times run first-in first-out. */
export class MinHeap<T> {
  private keys: number[] = [];
  private seqs: number[] = [];
  private values: T[] = [];
  private seq = 0;

  get size() {
    return this.values.length;
  }

  peekKey(): number | undefined {
    return this.keys[0];
  }

  push(key: number, value: T) {
    this.keys.push(key);
    this.seqs.push(this.seq++);
    this.values.push(value);
    this.up(this.values.length - 1);
  }

  pop(): { key: number; value: T } | undefined {
    const n = this.values.length;
    if (n === 0) return undefined;
    const key = this.keys[0]!;
    const value = this.values[0]!;
    const lastKey = this.keys.pop()!;
    const lastSeq = this.seqs.pop()!;
    const lastValue = this.values.pop()!;
    if (n > 1) {
      this.keys[0] = lastKey;
      this.seqs[0] = lastSeq;
      this.values[0] = lastValue;
      this.down(0);
    }
    return { key, value };
  }

  private less(i: number, j: number) {
    return this.keys[i]! < this.keys[j]! || (this.keys[i] === this.keys[j] && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number) {
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
    [this.seqs[i], this.seqs[j]] = [this.seqs[j]!, this.seqs[i]!];
    [this.values[i], this.values[j]] = [this.values[j]!, this.values[i]!];
  }

  private up(i: number) {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number) {
    const n = this.values.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

export type Task = () => unknown;
export type TaskHandle = { cancel(): void; readonly at: number };

type Entry = { at: number; task: Task; cancelled: boolean };

// setTimeout's limit is 2^31-1 ms; far-away wake-ups are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Scheduler {
  private heap = new MinHeap<Entry>();
  private ready: Entry[] = [];
  private readyHead = 0;
  private timer: unknown = null;
  private timerAt = Infinity;
  private inFlight = 0;
  private stopped = false;
  private drainWaiters: (() => void)[] = [];
  private maxLag = 0;
  readonly clock: Clock;
  readonly concurrency: number;
  private onError: (err: unknown) => void;

  constructor(opts: { concurrency: number; clock?: Clock; onError?: (err: unknown) => void }) {
    if (!(opts.concurrency >= 1)) throw new Error("concurrency must be at least 1");
    this.concurrency = Math.floor(opts.concurrency);
    this.clock = opts.clock ?? systemClock;
    this.onError = opts.onError ?? ((err) => console.error(err));
  }

  now() {
    return this.clock.now();
  }

  /** Runs `task` at (or after) `time` (ms since the epoch, same clock). */
  at(time: number, task: Task): TaskHandle {
    const entry: Entry = { at: time, task, cancelled: false };
    if (this.stopped) entry.cancelled = true;
    else {
      this.heap.push(time, entry);
      this.arm();
    }
    return {
      at: time,
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  after(ms: number, task: Task): TaskHandle {
    return this.at(this.clock.now() + Math.max(0, ms), task);
  }

  /** Tasks waiting in the heap (cancelled ones included until they surface). */
  get scheduled() {
    return this.heap.size;
  }

  /** Tasks that are due but wait for a free slot. */
  get queued() {
    return this.ready.length - this.readyHead;
  }

  get running() {
    return this.inFlight;
  }

  /** The largest delay between a task's due time and its start since the last call. */
  takeMaxLag(): number {
    const lag = this.maxLag;
    this.maxLag = 0;
    return lag;
  }

  /** Moves every due task to the ready queue and starts as many as there are free slots. */
  runDue() {
    const now = this.clock.now();
    while (this.heap.size && this.heap.peekKey()! <= now) {
      const { value } = this.heap.pop()!;
      if (!value.cancelled) this.ready.push(value);
    }
    this.pump();
    this.arm();
  }

  /** Stops: nothing new starts; resolves when the running tasks have finished. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    this.heap = new MinHeap<Entry>();
    this.ready = [];
    this.readyHead = 0;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  get isStopped() {
    return this.stopped;
  }

  private pump() {
    while (!this.stopped && this.inFlight < this.concurrency && this.readyHead < this.ready.length) {
      const entry = this.ready[this.readyHead++]!;
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready = this.ready.slice(this.readyHead);
        this.readyHead = 0;
      }
      if (entry.cancelled) continue;
      this.maxLag = Math.max(this.maxLag, this.clock.now() - entry.at);
      this.inFlight++;
      let result: unknown;
      try {
        result = entry.task();
      } catch (err) {
        result = Promise.reject(err);
      }
      Promise.resolve(result)
        .catch((err: unknown) => this.onError(err))
        .finally(() => {
          this.inFlight--;
          if (this.stopped) {
            if (this.inFlight === 0) for (const w of this.drainWaiters.splice(0)) w();
            return;
          }
          this.pump();
        });
    }
  }

  private arm() {
    if (this.stopped) return;
    const next = this.heap.peekKey();
    if (next === undefined) return;
    if (this.timer !== null && this.timerAt <= next) return;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next - this.clock.now()));
    this.timerAt = next;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.runDue();
    }, delay);
  }
}
