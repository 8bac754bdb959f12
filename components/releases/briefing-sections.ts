import type { BRIEFING_SECTIONS } from "@/lib/services/releases/briefings";

export type BriefingKey = (typeof BRIEFING_SECTIONS)[number];
export type BriefingText = Record<BriefingKey, string>;

/**
 * The five briefing sections in reading order (client-safe): the writer's heading and prompt, and the
 * heading a nurse reads, addressed to them.
 */
export const BRIEFING_FIELDS: { key: BriefingKey; title: string; prompt: string; readerTitle: string }[] = [
  { key: "bedsideChanges", title: "What changes at the bedside", prompt: "What nurses and doctors will notice when they use the device.", readerTitle: "What changes at the bedside" },
  { key: "alarmsAndScreens", title: "Alarms and screens that differ", prompt: "New, changed or removed alarms, tones, screens or buttons.", readerTitle: "Alarms or screens that are different" },
  { key: "staffActions", title: "What staff must do", prompt: "For example restart the device, acknowledge new terms, re-check settings.", readerTitle: "What you need to do" },
  { key: "howToReport", title: "How to report a problem", prompt: "Who to call or what to fill in when something looks wrong.", readerTitle: "How to report a problem" },
  { key: "patientGuidance", title: "Guidance for patients and caregivers", prompt: "What to tell patients and families, in plain words.", readerTitle: "What to tell patients and families" },
];
