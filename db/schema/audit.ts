import { bigint, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

// Append-only, hash-chained audit trail (AUD-01..06). `seq`, `created_at`, `prev_hash` and `row_hash` are
// assigned by the BEFORE INSERT trigger in migration 0001 under an advisory lock; whatever the
// application passes for them is overwritten. UPDATE, DELETE and TRUNCATE raise in the database.
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name"),
    action: text("action").notNull(),
    outcome: text("outcome").notNull().default("success"),
    entityType: text("entity_type"),
    entityId: text("entity_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    changedFields: text("changed_fields").array(),
    reason: text("reason"),
    sourceIp: text("source_ip"),
    userAgent: text("user_agent"),
    prevHash: text("prev_hash").notNull().default(""),
    rowHash: text("row_hash").notNull().default(""),
  },
  (t) => [
    index("audit_events_entity_idx").on(t.entityType, t.entityId, t.seq),
    index("audit_events_action_idx").on(t.action, t.seq),
    index("audit_events_created_idx").on(t.createdAt),
  ],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
