import { createHmac } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { webhookDeliveries } from "@/db/schema";
import { systemActor } from "../actor";
import { recordAudit } from "../audit/record";
import { webhookConfig } from "./settings";

// Delivers queued incident events to the configured webhook (an outbox: events are written with their
// cause, sent later). Each POST carries a JSON body and these headers:
//   X-Corridor-Event: incident.opened | incident.escalated | incident.status_changed
//   X-Corridor-Delivery: the delivery id (the same on every retry, so a receiver can drop duplicates)
//   X-Corridor-Timestamp: Unix seconds when this attempt was signed
//   X-Corridor-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>
// Any 2xx counts as delivered. Otherwise the attempt is retried with exponential backoff (base × 2^n,
// at most an hour) until `maxAttempts`, then given up: recorded on the row and in the audit trail.

const WEBHOOK = systemActor("incident-webhook");

export type DeliveryOptions = { timeoutMs?: number; baseDelayMs?: number; maxAttempts?: number; batch?: number };
const DELIVERY_DEFAULTS: Required<DeliveryOptions> = { timeoutMs: 5_000, baseDelayMs: 30_000, maxAttempts: 8, batch: 20 };

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

type Claimed = { id: number; event: string; payload: unknown; attempts: number };

/** Sends what is due; returns how many were delivered and how many failed this round. */
export async function deliverWebhooks(db: Db, options: DeliveryOptions = {}): Promise<{ delivered: number; failed: number }> {
  const opts = { ...DELIVERY_DEFAULTS, ...options };
  const hook = await webhookConfig(db);
  if (!hook) return { delivered: 0, failed: 0 };
  // Claim a batch by pushing its next attempt past the send timeout: another instance skips these rows
  // now (SKIP LOCKED) and after this commit (not yet due), so each attempt is made once.
  const lease = Math.ceil(opts.timeoutMs / 1000) + 60;
  const claimed = await queryRows<Claimed>(
    db,
    sql`UPDATE webhook_deliveries SET next_attempt_at = now() + ${lease} * interval '1 second'
        WHERE id IN (SELECT id FROM webhook_deliveries WHERE NOT delivered AND attempts < ${opts.maxAttempts} AND next_attempt_at <= now()
                     ORDER BY id LIMIT ${opts.batch} FOR UPDATE SKIP LOCKED)
        RETURNING id, event, payload, attempts`,
  );
  let delivered = 0;
  let failed = 0;
  for (const row of claimed) {
    const error = await post(hook, row, opts.timeoutMs);
    const attempts = row.attempts + 1;
    if (!error) {
      delivered++;
      await db.update(webhookDeliveries).set({ delivered: true, attempts, deliveredAt: sql`now()`, lastError: null }).where(eq(webhookDeliveries.id, row.id));
      continue;
    }
    failed++;
    const givenUp = attempts >= opts.maxAttempts;
    const delayMs = Math.min(opts.baseDelayMs * 2 ** (attempts - 1), 3_600_000);
    await db.transaction(async (tx) => {
      await tx
        .update(webhookDeliveries)
        .set({ attempts, lastError: (givenUp ? `Gave up after ${attempts} attempts: ${error}` : error).slice(0, 500), nextAttemptAt: sql`now() + ${delayMs} * interval '1 millisecond'` })
        .where(eq(webhookDeliveries.id, row.id));
      if (givenUp) await recordAudit(tx, WEBHOOK, undefined, { action: "webhook.gave_up", outcome: "failure", entityType: "webhook_delivery", entityId: row.id, after: { event: row.event, attempts, lastError: error.slice(0, 500) } });
    });
  }
  return { delivered, failed };
}

/** One attempt; returns null when delivered, else what went wrong. */
async function post(hook: { url: string; secret: string }, row: Claimed, timeoutMs: number): Promise<string | null> {
  const body = JSON.stringify(row.payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const res = await fetch(hook.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Corridor-Webhook/1",
        "X-Corridor-Event": row.event,
        "X-Corridor-Delivery": String(row.id),
        "X-Corridor-Timestamp": timestamp,
        "X-Corridor-Signature": signWebhook(hook.secret, timestamp, body),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    return err instanceof Error && err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : `could not connect: ${(err as Error).message}`;
  }
}
