import { z } from "zod";
import type { Db } from "@/db/client";
import { can, type Permission } from "@/lib/auth/permissions";
import type { Actor, Ctx, Origin } from "./actor";
import { recordAudit, type Audit } from "./audit/record";
import { ForbiddenError, ServiceError, UnauthenticatedError, ValidationError } from "./errors";

/**
 * Every business operation is built here, so every entry point (page, server action, route handler,
 * script) gets the same order: check permission (deny by default) → validate input → run in one
 * transaction together with its audit rows.
 */
export type Operation<In, Out> = {
  (ctx: Ctx, input: In): Promise<Out>;
  readonly operationName: string;
  readonly permission: Permission;
  readonly kind: "command" | "query";
};

type CommandBody<S extends z.ZodType, Out> = (args: {
  tx: Db;
  actor: Actor;
  origin: Origin | undefined;
  input: z.output<S>;
  audit: Audit;
}) => Promise<Out>;

type QueryBody<S extends z.ZodType, Out> = (args: { db: Db; actor: Actor; input: z.output<S> }) => Promise<Out>;

/** A write: runs in one transaction; its audit rows share that transaction. */
export function command<S extends z.ZodType, Out>(spec: {
  name: string;
  permission: Permission;
  input: S;
  run: CommandBody<S, Out>;
}): Operation<z.input<S>, Out> {
  const op = async (ctx: Ctx, raw: z.input<S>) => {
    const actor = await authorize(ctx, spec.permission, spec.name);
    const input = parseInput(spec.input, raw);
    try {
      return await ctx.db.transaction((tx) =>
        spec.run({
          tx,
          actor,
          origin: ctx.origin,
          input,
          audit: (entry) => recordAudit(tx, actor, ctx.origin, entry),
        }),
      );
    } catch (err) {
      // Security-relevant refusals (e.g. a blocked rollback) are recorded even though the change is not.
      if (err instanceof ServiceError && err.audit) await recordAudit(ctx.db, actor, ctx.origin, { ...err.audit, outcome: "denied", reason: err.message });
      throw err;
    }
  };
  return Object.assign(op, { operationName: spec.name, permission: spec.permission, kind: "command" as const });
}

/** A read: permission-checked and validated like a write, without a transaction. */
export function query<S extends z.ZodType, Out>(spec: {
  name: string;
  permission: Permission;
  input: S;
  run: QueryBody<S, Out>;
}): Operation<z.input<S>, Out> {
  const op = async (ctx: Ctx, raw: z.input<S>) => {
    const actor = await authorize(ctx, spec.permission, spec.name);
    return spec.run({ db: ctx.db, actor, input: parseInput(spec.input, raw) });
  };
  return Object.assign(op, { operationName: spec.name, permission: spec.permission, kind: "query" as const });
}

/**
 * Users are checked against the permission matrix. The system actor exists only inside the process
 * (start-up seed, CLI, ticks) and is trusted. Devices never hold console permissions.
 * A refusal is itself audited (AUD-09), in its own transaction because nothing else is written.
 */
export async function authorize(ctx: Ctx, permission: Permission, operation: string): Promise<Actor> {
  const { actor } = ctx;
  if (actor?.type === "system") return actor;
  if (actor?.type === "user" && can(actor.role, permission)) return actor;
  await recordAudit(ctx.db, actor, ctx.origin, {
    action: "authz.denied",
    outcome: "denied",
    entityType: "operation",
    entityId: operation,
    after: { permission, role: actor?.type === "user" ? actor.role : (actor?.type ?? "anonymous") },
  });
  if (!actor) throw new UnauthenticatedError();
  throw new ForbiddenError(`Your role does not allow this (${permission}).`);
}

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path.join(".") || "_";
    (fieldErrors[key] ??= []).push(issue.message);
  }
  const first = parsed.error.issues[0];
  const field = first?.path.join(".") ?? "";
  const message = first?.message ?? "Invalid input.";
  // Name the field unless the message already does (most of ours do).
  const named = !field || message.toLowerCase().includes(field.toLowerCase()) ? message : `${field}: ${message}`;
  throw new ValidationError(named, fieldErrors);
}
