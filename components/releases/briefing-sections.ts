import type { BRIEFING_SECTIONS } from "@/lib/services/releases/briefings";

export type BriefingKey = (typeof BRIEFING_SECTIONS)[number];
export type BriefingText = Record<BriefingKey, string>;

/** Headings and prompts of the five briefing sections, in reading order (client-safe). */
export const BRIEFING_FIELDS: { key: BriefingKey; title: string; prompt: string }[] = [
  { key: "bedsideChanges", title: "What changes at the bedside", prompt: "What nurses and doctors will notice when they use the device." },
  { key: "alarmsAndScreens", title: "Alarms and screens that differ", prompt: "New, changed or removed alarms, tones, screens or buttons." },
  { key: "staffActions", title: "What staff must do", prompt: "For example restart the device, acknowledge new terms, re-check settings." },
  { key: "howToReport", title: "How to report a problem", prompt: "Who to call or what to fill in when something looks wrong." },
  { key: "patientGuidance", title: "Guidance for patients and caregivers", prompt: "What to tell patients and families, in plain words." },
];
