import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { appSettings } from "@/db/schema";
import type { IncidentSeverity } from "@/lib/domain";
import { ValidationError } from "../errors";
import { command, query } from "../operation";
import { storeSetting, storedSetting } from "../settings/app-settings";

// The incident settings an administrator tunes: how long an incident may wait in triage before it
// escalates (per severity), and where incident events are posted for other systems.

const ESCALATION_KEY = "incidents.escalation";
const WEBHOOK_KEY = "incidents.webhook";

const minutes = (label: string) =>
  z.coerce.number({ error: `${label}: minutes, a whole number.` }).int(`${label}: minutes, a whole number.`).min(1, `${label}: at least 1 minute.`).max(10_080, `${label}: at most 7 days (10080 minutes).`);

const EscalationDeadlines = z
  .object({ critical: minutes("Critical"), high: minutes("High"), medium: minutes("Medium"), low: minutes("Low") })
  .strict() satisfies z.ZodType<Record<IncidentSeverity, number>>;
type EscalationDeadlines = z.output<typeof EscalationDeadlines>;

const DEFAULT_DEADLINES: EscalationDeadlines = { critical: 15, high: 60, medium: 240, low: 1440 };

const Webhook = z.object({ url: z.url(), secret: z.string().min(16) }).strict();
type WebhookConfig = z.output<typeof Webhook>;

/** Minutes allowed in triage per severity; a stored value that no longer parses falls back to the defaults. */
export async function escalationDeadlines(db: Db): Promise<EscalationDeadlines> {
  const parsed = EscalationDeadlines.safeParse(await storedSetting(db, ESCALATION_KEY));
  return parsed.success ? parsed.data : DEFAULT_DEADLINES;
}

/** The outgoing webhook, or null when none is configured. */
export async function webhookConfig(db: Db): Promise<WebhookConfig | null> {
  const parsed = Webhook.safeParse(await storedSetting(db, WEBHOOK_KEY));
  return parsed.success ? parsed.data : null;
}

/** What the settings page shows: the deadlines and the webhook URL (never its secret). */
export const incidentSettings = query({
  name: "incidents.settings",
  permission: "incidents.configure",
  input: z.object({}).strict(),
  async run({ db }) {
    const hook = await webhookConfig(db);
    return { deadlines: await escalationDeadlines(db), webhook: hook ? { url: hook.url, secretSet: true } : null };
  },
});

export const saveEscalationDeadlines = command({
  name: "incidents.save_escalation",
  permission: "incidents.configure",
  input: EscalationDeadlines,
  async run({ tx, actor, input, audit }) {
    const before = await escalationDeadlines(tx);
    await storeSetting(tx, ESCALATION_KEY, input, actor.type === "user" ? actor.userId : null);
    await audit({ action: "settings.escalation_saved", entityType: "setting", entityId: ESCALATION_KEY, before, after: input });
    return input;
  },
});

const WebhookInput = z
  .object({
    url: z.union([z.literal(""), z.url({ protocol: /^https?$/, error: "Enter a full http:// or https:// address." }).max(500)]),
    // Write-only: left empty, the stored secret is kept.
    secret: z.union([z.literal(""), z.string().min(16, "The signing secret needs at least 16 characters.").max(200)]).default(""),
  })
  .strict();

/** Sets, changes or (with an empty URL) removes the outgoing webhook. The secret is never shown again. */
export const saveIncidentWebhook = command({
  name: "incidents.save_webhook",
  permission: "incidents.configure",
  input: WebhookInput,
  async run({ tx, actor, input, audit }) {
    const before = await webhookConfig(tx);
    if (!input.url) {
      await tx.delete(appSettings).where(eq(appSettings.key, WEBHOOK_KEY));
      await audit({ action: "settings.webhook_saved", entityType: "setting", entityId: WEBHOOK_KEY, before: { url: before?.url ?? null }, after: { url: null } });
      return { url: null };
    }
    const secret = input.secret || before?.secret;
    if (!secret) throw new ValidationError("Enter a signing secret: receivers use it to check that events come from Corridor.", { secret: ["Enter a signing secret."] });
    await storeSetting(tx, WEBHOOK_KEY, { url: input.url, secret }, actor.type === "user" ? actor.userId : null);
    await audit({
      action: "settings.webhook_saved",
      entityType: "setting",
      entityId: WEBHOOK_KEY,
      before: { url: before?.url ?? null },
      after: { url: input.url, signingKeyChanged: Boolean(input.secret) },
    });
    return { url: input.url };
  },
});
