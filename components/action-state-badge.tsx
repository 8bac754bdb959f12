import { ACTION_STATE_LABELS, type ActionState } from "@/lib/domain";
import { Badge } from "./ui";

const TONE: Record<ActionState, "slate" | "blue" | "green" | "red" | "amber" | "violet"> = {
  scheduled: "slate",
  downloading: "blue",
  downloaded: "blue",
  installing: "blue",
  installed_awaiting_confirmation: "violet",
  cancel_requested: "amber",
  succeeded: "green",
  failed: "red",
  canceled: "slate",
  rolled_back: "amber",
};

export function ActionStateBadge({ state }: { state: ActionState }) {
  return <Badge tone={TONE[state]}>{ACTION_STATE_LABELS[state]}</Badge>;
}
