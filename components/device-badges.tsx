import { CRITICALITY_LABELS, DEVICE_STATUS_LABELS, type Criticality, type DeviceStatus } from "@/lib/domain";
import { Badge } from "./ui";

const STATUS_TONE: Record<DeviceStatus, "green" | "slate" | "amber" | "red" | "violet"> = {
  active: "green",
  offline: "slate",
  maintenance: "amber",
  quarantined: "red",
  retired: "violet",
};

export function StatusBadge({ status }: { status: DeviceStatus }) {
  return <Badge tone={STATUS_TONE[status]}>{DEVICE_STATUS_LABELS[status]}</Badge>;
}

export function CriticalityBadge({ criticality }: { criticality: Criticality }) {
  const tone = criticality === "life_sustaining" ? "red" : criticality === "life_supporting" ? "amber" : "slate";
  return <Badge tone={tone}>{CRITICALITY_LABELS[criticality]}</Badge>;
}
