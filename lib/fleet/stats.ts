// The fleet's counters and its one-line status summary.

export type Counters = {
  polls: number;
  pollErrors: number;
  authFailures: number;
  rateLimited: number;
  configPuts: number;
  offers: number;
  deferredInUse: number;
  installsStarted: number;
  installsDone: number;
  confirmed: number;
  installFailures: number;
  abandoned: number;
  refusals: number;
  refusalsByKind: Record<string, number>;
  cancels: number;
  downloadBytes: number;
  feedbackErrors: number;
  telemetryPosts: number;
  telemetryErrors: number;
  samplesSent: number;
  samplesAccepted: number;
  samplesRejected: number;
  samplesDropped: number;
  clinicalUseChanges: number;
};

export const newCounters = (): Counters => ({
  polls: 0, pollErrors: 0, authFailures: 0, rateLimited: 0, configPuts: 0, offers: 0, deferredInUse: 0,
  installsStarted: 0, installsDone: 0, confirmed: 0, installFailures: 0, abandoned: 0, refusals: 0, refusalsByKind: {},
  cancels: 0, downloadBytes: 0, feedbackErrors: 0, telemetryPosts: 0, telemetryErrors: 0, samplesSent: 0, samplesAccepted: 0,
  samplesRejected: 0, samplesDropped: 0, clinicalUseChanges: 0,
});

export type Gauges = { devices: number; installing: number; rebooting: number; awaitingConfirmation: number; inUse: number; queued: number; lagMs: number };

const rate = (n: number, seconds: number) => (seconds > 0 ? n / seconds : 0);
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** "polls 24.8/s (err 0) | installs: 3 running, 12 done, 10 confirmed, 1 failed, 0 refused | …" */
export function summaryLine(now: Counters, before: Counters, seconds: number, g: Gauges): string {
  const d = (k: keyof Omit<Counters, "refusalsByKind">) => now[k] - before[k];
  const refusals = Object.entries(now.refusalsByKind).map(([k, v]) => `${k} ${v}`).join(", ");
  const parts = [
    `${g.devices} devices, ${g.inUse} in use`,
    `polls ${fmt(rate(d("polls"), seconds))}/s` + (d("pollErrors") ? ` (${d("pollErrors")} failed${d("authFailures") ? `, ${d("authFailures")} unauthorized` : ""})` : ""),
    `installs ${g.installing + g.rebooting} running, ${now.installsDone} done, ${now.confirmed} confirmed, ${now.installFailures} failed, ${now.refusals} refused${refusals ? ` (${refusals})` : ""}`,
    ...(now.cancels ? [`${now.cancels} cancels acknowledged`] : []),
    ...(now.deferredInUse ? [`${now.deferredInUse} offers deferred (in use)`] : []),
    `telemetry ${fmt(rate(d("samplesSent"), seconds))} samples/s, ${now.samplesAccepted} accepted` +
      (now.samplesRejected ? `, ${now.samplesRejected} rejected` : "") +
      (d("telemetryErrors") ? `, ${d("telemetryErrors")} posts failed` : ""),
  ];
  if (g.queued > 0 || g.lagMs > 1000) parts.push(`backlog ${g.queued}, lag ${(g.lagMs / 1000).toFixed(1)} s`);
  return parts.join(" | ");
}

export const snapshot = (c: Counters): Counters => ({ ...c, refusalsByKind: { ...c.refusalsByKind } });
