/**
 * Runs `work` every `everyMs` in this process, one round at a time (a slow round is not overlapped by the
 * next). Each round must itself be safe alongside other instances; a failed round is logged and the
 * next one runs as usual. `firstAfterMs` delays the first round (default: one period).
 */
export function startTicker(name: string, everyMs: number, work: () => Promise<unknown>, firstAfterMs = everyMs): () => void {
  let busy = false;
  const round = () => {
    if (busy) return;
    busy = true;
    work()
      .catch((err) => console.error(`[corridor] ${name} tick failed`, err))
      .finally(() => (busy = false));
  };
  const first = setTimeout(round, firstAfterMs);
  const timer = setInterval(round, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
