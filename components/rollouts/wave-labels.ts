import type { WaveKind } from "@/lib/domain";

export const WAVE_KIND_LABELS: Record<WaveKind, string> = { lab: "Lab", pilot: "Pilot", general: "General" };
