import { Badge } from "@/components/ui";
import { RELEASE_STATE_LABELS, RISK_CLASS_LABELS, type ReleaseState, type RiskClass } from "@/lib/domain";

type Tone = "slate" | "green" | "amber" | "red" | "blue" | "violet";

const STATE_TONE: Record<ReleaseState, Tone> = {
  draft: "slate",
  submitted: "blue",
  verified: "blue",
  in_review: "violet",
  approved: "green",
  rejected: "red",
  withdrawn: "amber",
  recalled: "red",
};

const RISK_TONE: Record<RiskClass, Tone> = {
  routine: "slate",
  security: "amber",
  safety_critical: "red",
  recall_remediation: "violet",
};

/** One line each, for people choosing a risk class (the approval policy depends on it). */
export const RISK_CLASS_HELP: Record<RiskClass, string> = {
  routine: "Bug fixes or small improvements with no change to therapy, alarms or security.",
  security: "Fixes a vulnerability or changes security controls; IT security must also approve.",
  safety_critical: "Changes therapy delivery, alarms or clinical measurements; needs clinical validation and a lab trial.",
  recall_remediation: "Corrects a problem under a recall or safety notice from the manufacturer or regulator.",
};

export function ReleaseStateBadge({ state }: { state: ReleaseState }) {
  return <Badge tone={STATE_TONE[state]}>{RELEASE_STATE_LABELS[state]}</Badge>;
}

export function RiskBadge({ risk }: { risk: RiskClass }) {
  return <Badge tone={RISK_TONE[risk]}>{RISK_CLASS_LABELS[risk]}</Badge>;
}

export function SignatureStatusBadge({ status }: { status: "valid" | "stale" | "revoked" }) {
  if (status === "valid") return <Badge tone="green">Valid</Badge>;
  if (status === "revoked") return <Badge tone="slate">Revoked</Badge>;
  return <Badge tone="red">Invalid — content changed</Badge>;
}

export const shortHash = (hash: string | null | undefined, n = 12) => (hash ? `${hash.slice(0, n)}…` : "—");
