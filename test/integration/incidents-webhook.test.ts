import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db/client";
import { appSettings, incidents, webhookDeliveries } from "@/db/schema";
import type { Ctx } from "@/lib/services/actor";
import { ForbiddenError, ValidationError } from "@/lib/services/errors";
import { tickEscalations } from "@/lib/services/incidents/escalation";
import { transitionIncident } from "@/lib/services/incidents/operations";
import { incidentSettings, saveEscalationDeadlines, saveIncidentWebhook } from "@/lib/services/incidents/settings";
import { deliverWebhooks, signWebhook } from "@/lib/services/incidents/webhook";
import { auditHighWater, auditRowsAfter, caught, createTestUser, ctxFor, openScratchDb, userActor } from "../db";
import { openTestIncident, setDeadline } from "../incident-fixtures";

/**
 * ROL-10: the outgoing webhook (signed, retried with backoff, given up after N attempts) against a real
 * local HTTP server, and the incident settings. A database of its own: both settings are global.
 */

type Received = { headers: IncomingMessage["headers"]; body: string };

let handle: DbHandle;
let db: Db;
let admin: Ctx;
let biomed: Ctx;
let server: Server;
let url: string;
const received: Received[] = [];
/** Status codes the server answers with, in order; 200 once they run out. */
let answers: number[] = [];

const SECRET = "s3cret-for-the-receiver-0123456789";

beforeAll(async () => {
  handle = await openScratchDb("incident_webhook");
  db = handle.db;
  admin = ctxFor(db, userActor(await createTestUser(db, "admin")));
  biomed = ctxFor(db, userActor(await createTestUser(db, "biomed")));
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/corridor-events`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await handle?.close();
});

const pending = () => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.delivered, false));

describe("ROL-10: incident settings", () => {
  it("ROL-10: only an administrator configures the webhook; the secret is write-only and never reaches the audit trail", async () => {
    expect(await caught(() => saveIncidentWebhook(biomed, { url, secret: SECRET }))).toBeInstanceOf(ForbiddenError);
    const noSecret = await caught(() => saveIncidentWebhook(admin, { url }));
    expect(noSecret).toBeInstanceOf(ValidationError);
    expect((noSecret as ValidationError).message).toMatch(/Enter a signing secret/);
    expect(await caught(() => saveIncidentWebhook(admin, { url: "ftp://example.org/x", secret: SECRET }))).toBeInstanceOf(ValidationError);

    const hw = await auditHighWater(db);
    await saveIncidentWebhook(admin, { url, secret: SECRET });
    expect(await incidentSettings(admin, {})).toMatchObject({ webhook: { url, secretSet: true } });
    expect(JSON.stringify(await incidentSettings(admin, {}))).not.toContain(SECRET);
    // Changing only the URL keeps the stored secret.
    await saveIncidentWebhook(admin, { url, secret: "" });
    const [stored] = await db.select().from(appSettings).where(eq(appSettings.key, "incidents.webhook"));
    expect(stored!.value).toEqual({ url, secret: SECRET });
    const rows = await auditRowsAfter(db, hw);
    expect(rows.map((r) => r.action)).toEqual(["settings.webhook_saved", "settings.webhook_saved"]);
    expect(rows.map((r) => (r.after as { signingKeyChanged: boolean }).signingKeyChanged)).toEqual([true, false]);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
  });

  it("ROL-10: escalation deadlines per severity are validated and used for new incidents", async () => {
    expect(await caught(() => saveEscalationDeadlines(admin, { critical: 0, high: 60, medium: 240, low: 1440 }))).toBeInstanceOf(ValidationError);
    await saveEscalationDeadlines(admin, { critical: 5, high: 30, medium: 120, low: 600 });
    expect((await incidentSettings(admin, {})).deadlines).toEqual({ critical: 5, high: 30, medium: 120, low: 600 });
    const { incident } = await openTestIncident(db, { severity: "critical" });
    const minutes = (incident.escalationDueAt!.getTime() - incident.createdAt.getTime()) / 60_000;
    expect(Math.round(minutes)).toBe(5);
  });
});

describe("ROL-10: the outgoing webhook", () => {
  it("ROL-10: events for opening, escalation and status changes are posted with a verifiable HMAC-SHA256 signature", async () => {
    received.length = 0;
    await db.delete(webhookDeliveries);
    const { incident } = await openTestIncident(db, { severity: "high" });
    await setDeadline(db, incident.id, 1);
    await tickEscalations(db);
    await transitionIncident(biomed, { incidentId: incident.id, to: "contained" });
    expect((await pending()).map((p) => p.event)).toEqual(["incident.opened", "incident.escalated", "incident.status_changed"]);

    expect(await deliverWebhooks(db)).toEqual({ delivered: 3, failed: 0 });
    expect(received.map((r) => r.headers["x-corridor-event"])).toEqual(["incident.opened", "incident.escalated", "incident.status_changed"]);
    for (const r of received) {
      const ts = String(r.headers["x-corridor-timestamp"]);
      expect(r.headers["x-corridor-signature"]).toBe(signWebhook(SECRET, ts, r.body));
      expect(r.headers["x-corridor-signature"]).not.toBe(signWebhook("another secret of the same size!!", ts, r.body));
      expect(JSON.parse(r.body)).toMatchObject({ incident: { id: incident.id, title: incident.title, path: `/incidents/${incident.id}` } });
    }
    expect(JSON.parse(received[2]!.body)).toMatchObject({ event: "incident.status_changed", from: "triage", incident: { status: "contained" } });
    expect(await pending()).toEqual([]);
    // Nothing is sent twice.
    expect(await deliverWebhooks(db)).toEqual({ delivered: 0, failed: 0 });
  });

  it("ROL-10: after a 500 the event is retried with backoff (not before it is due) and then delivered with the same delivery id", async () => {
    received.length = 0;
    await openTestIncident(db);
    answers = [500];
    expect(await deliverWebhooks(db, { baseDelayMs: 60_000 })).toEqual({ delivered: 0, failed: 1 });
    const [row] = await pending();
    expect(row).toMatchObject({ attempts: 1, lastError: "HTTP 500" });
    expect(row!.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(50_000);
    // Not due yet: nothing is sent.
    expect(await deliverWebhooks(db)).toEqual({ delivered: 0, failed: 0 });
    await db.update(webhookDeliveries).set({ nextAttemptAt: new Date(Date.now() - 1000) }).where(eq(webhookDeliveries.id, row!.id));
    expect(await deliverWebhooks(db)).toEqual({ delivered: 1, failed: 0 });
    expect(received.map((r) => r.headers["x-corridor-delivery"])).toEqual([String(row!.id), String(row!.id)]);
    const [done] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, row!.id));
    expect(done).toMatchObject({ delivered: true, attempts: 2, lastError: null });
  });

  it("ROL-10: a receiver that keeps failing (or cannot be reached) is given up after the last attempt, recorded on the row and in the audit trail", async () => {
    await openTestIncident(db);
    answers = [503, 503, 503];
    const hw = await auditHighWater(db);
    for (let i = 0; i < 3; i++) {
      await db.update(webhookDeliveries).set({ nextAttemptAt: new Date(Date.now() - 1000) }).where(eq(webhookDeliveries.delivered, false));
      await deliverWebhooks(db, { maxAttempts: 3, baseDelayMs: 0 });
    }
    const [row] = await pending();
    expect(row).toMatchObject({ attempts: 3, lastError: "Gave up after 3 attempts: HTTP 503" });
    await db.update(webhookDeliveries).set({ nextAttemptAt: new Date(Date.now() - 1000) }).where(eq(webhookDeliveries.id, row!.id));
    expect(await deliverWebhooks(db, { maxAttempts: 3 })).toEqual({ delivered: 0, failed: 0 });
    expect((await auditRowsAfter(db, hw)).filter((r) => r.action === "webhook.gave_up")).toMatchObject([{ outcome: "failure", entityId: String(row!.id), actorName: "incident-webhook" }]);

    // Unreachable: the error says so.
    await db.delete(webhookDeliveries);
    await saveIncidentWebhook(admin, { url: "http://127.0.0.1:9/unreachable", secret: "" });
    await openTestIncident(db);
    expect(await deliverWebhooks(db, { timeoutMs: 2_000 })).toEqual({ delivered: 0, failed: 1 });
    expect((await pending())[0]!.lastError).toMatch(/could not connect|no answer/);
  });

  it("ROL-10: without a webhook no event is queued", async () => {
    await saveIncidentWebhook(admin, { url: "" });
    await db.delete(webhookDeliveries);
    const { incident } = await openTestIncident(db);
    await transitionIncident(biomed, { incidentId: incident.id, to: "contained" });
    expect(await db.select().from(webhookDeliveries)).toEqual([]);
    expect(await db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, incident.id))).toHaveLength(1);
  });
});
