import type { ActionState } from "@/lib/domain";

// How DDI feedback moves one device's action. Pure, so every transition is unit-tested.
// Rules: a finished action never moves; open states only move forward, so a repeated or late
// feedback cannot undo progress; a cancel request stays until the device acknowledges it or the
// install finishes first ("already installed").

export type Feedback = {
  kind: "deployment" | "cancel";
  execution: string;
  finished: string | null;
  details: string[];
};

const OPEN_RANK: Partial<Record<ActionState, number>> = {
  scheduled: 0,
  downloading: 1,
  downloaded: 2,
  installing: 3,
  installed_awaiting_confirmation: 4,
};

export const isFinished = (s: ActionState) => s === "succeeded" || s === "failed" || s === "canceled" || s === "rolled_back";

function progressState(f: Feedback): ActionState {
  if (f.execution === "download") return "downloading";
  if (f.execution === "downloaded") return "downloaded";
  if (f.details.some((d) => /all chunks installed/i.test(d))) return "installed_awaiting_confirmation";
  if (f.details.some((d) => /installing update chunk artifacts/i.test(d))) return "downloading";
  // Any other progress report (swupdate log lines, "Installed Chunk.") means the installer is running.
  return "installing";
}

export function nextActionState(current: ActionState, f: Feedback): ActionState {
  if (isFinished(current)) return current;
  if (f.kind === "cancel") {
    // The device accepts the cancel with a closed status (hawkBit semantics); anything else is informational.
    return current === "cancel_requested" && f.execution === "closed" && f.finished !== "failure" ? "canceled" : current;
  }
  switch (f.execution) {
    case "closed":
      // hawkBit maps closed + success/none to finished, closed + failure to error.
      return f.finished === "failure" ? "failed" : "succeeded";
    case "canceled":
      return current === "cancel_requested" ? "canceled" : current;
    case "proceeding":
    case "download":
    case "downloaded": {
      const next = progressState(f);
      // Installed before the cancel reached it: the truth is "installed", and no cancel may be offered.
      if (current === "cancel_requested") return next === "installed_awaiting_confirmation" ? next : current;
      return (OPEN_RANK[next] ?? 0) > (OPEN_RANK[current] ?? 0) ? next : current;
    }
    default:
      // scheduled, resumed, rejected: recorded, no state change.
      return current;
  }
}

// SWUpdate reports the root cause first and its knock-on effects after it; these lines are effects.
const CONSEQUENCE =
  /Channel operation returned error|Writing into SWUpdate IPC stream failed|Compatible SW not found|Cannot read stored update state|Error processing update chunk|No suitable \.swu image found|Image invalid or corrupted/i;

/** The most telling failure line: the first error that is a cause, not a consequence. */
export function failureReason(allDetails: string[]): string | null {
  const errors = allDetails.filter((d) => /error/i.test(d));
  return (errors.find((d) => !CONSEQUENCE.test(d)) ?? errors.at(-1) ?? allDetails.at(-1) ?? null)?.slice(0, 500) ?? null;
}

/**
 * Parses a feedback body leniently: SWUpdate sometimes sends raw control characters inside strings.
 * Returns null when the body is not a feedback message at all.
 */
export function parseFeedback(raw: string, kind: Feedback["kind"]): { feedback: Feedback; invalidJson: boolean } | null {
  let body: unknown;
  let invalidJson = false;
  try {
    body = JSON.parse(raw);
  } catch {
    invalidJson = true;
    try {
      body = JSON.parse(raw.replace(/[\u0000-\u001f]/g, " "));
    } catch {
      return null;
    }
  }
  const status = (body as { status?: { execution?: unknown; result?: { finished?: unknown }; details?: unknown } })?.status;
  if (!status || typeof status.execution !== "string") return null;
  const details = Array.isArray(status.details) ? status.details.filter((d): d is string => typeof d === "string").map((d) => d.trim().slice(0, 1000)) : [];
  const finished = typeof status.result?.finished === "string" ? status.result.finished : null;
  return { feedback: { kind, execution: status.execution.toLowerCase(), finished, details: details.slice(0, 100) }, invalidJson };
}
