import { asc, eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { z } from "zod";
import type { Db } from "@/db/client";
import { queryRows } from "@/db/client";
import { deploymentActions, rolloutDevices, rolloutWaves, rollouts, units, type DeploymentAction, type Device, type NewDevice, type Rollout, type RolloutWave } from "@/db/schema";
import type { Ctx } from "@/lib/services/actor";
import { flushContacts, forgetUnitWindows } from "@/lib/services/ddi/context";
import type { DeviceSession } from "@/lib/services/ddi/device-auth";
import { applyFeedback, basePoll, deploymentBase } from "@/lib/services/ddi/protocol";
import { deviceUpdateStatus } from "@/lib/services/deployments/device-status";
import { setWindows } from "@/lib/services/deployments/windows";
import { NotFoundError } from "@/lib/services/errors";
import { acknowledgeBriefing, setUserUnits } from "@/lib/services/releases/briefings";
import { createRollout } from "@/lib/services/rollouts/create";
import type { Blocker } from "@/lib/services/safety/install-gate";
import type { WindowRule } from "@/lib/services/safety/windows";
import type { WaveInput } from "@/lib/validation/rollouts";
import { caught, createTestUser, ctxFor, dataFingerprint, unique, userActor } from "./db";
import { ALWAYS_OPEN, createDevice, createPlace, createRelease, FROM, openWorld, ORIGIN, provision, reportUse, session, sw, type Place, type World } from "./protocol-fixtures";

// Fixtures for the rollout tests: units sharing one model (so one approved release serves a whole file),
// enrolled devices (recent contact, a token, an "idle" report), rollouts created through the real
// service, and a device driven through the DDI layer the way SWUpdate drives it.

export type Release = Awaited<ReturnType<typeof createRelease>>;
export type Member = { device: Device; tok: string };
export type WaveSpec = z.input<typeof WaveInput>;

/** Another unit at `place`'s site, using `place`'s model, with its own windows (always open by default). */
export async function addUnit(w: World, place: Place, opts: { timeZone?: string; windows?: WindowRule[] } = {}): Promise<Place> {
  const [unit] = await w.db
    .insert(units)
    .values({ siteId: place.unit.siteId, name: unique("Ward "), kind: "ward", timeZone: opts.timeZone ?? "UTC" })
    .returning();
  const windows = opts.windows ?? [ALWAYS_OPEN];
  if (windows.length) await setWindows(w.admin, { unitId: unit!.id, windows });
  return { unit: unit!, model: place.model };
}

/**
 * `n` devices of `place` that a rollout can target: heard from just now, with a device token, and (unless
 * `idle: false`) a fresh "not in clinical use" report.
 */
export async function enrol(w: World, place: Place, n: number, opts: { sandbox?: boolean; idle?: boolean; device?: Partial<NewDevice> } = {}): Promise<Member[]> {
  const out: Member[] = [];
  for (let i = 0; i < n; i++) {
    const device = await createDevice(w, place, { lastContactAt: new Date(), sandbox: opts.sandbox ?? false, ...opts.device });
    const tok = await provision(w, device.id);
    if (opts.idle ?? true) await reportUse(w, await session(w, device.serial, tok), false);
    out.push({ device, tok });
  }
  return out;
}

/** A wave with test-friendly defaults: no briefing acknowledgement, no soak, no go-ahead. */
export const wave = (kind: WaveSpec["kind"], over: Partial<WaveSpec> = {}): WaveSpec => ({
  kind,
  name: over.name ?? `${kind} ${unique("w")}`,
  requireAcknowledgement: false,
  soakMinutes: 0,
  ...over,
});

/** A rollout of `release` to exactly `members`, created by `by` (the world's admin by default). */
export function newRollout(w: World, release: Release, members: Member[], waves: WaveSpec[], opts: { maxConcurrent?: number; by?: Ctx } = {}): Promise<Rollout> {
  return createRollout(opts.by ?? w.admin, {
    name: unique("Rollout "),
    filter: { releaseId: release.release.id, deviceIds: members.map((m) => m.device.id) },
    waves,
    ...(opts.maxConcurrent ? { maxConcurrent: opts.maxConcurrent } : {}),
  });
}

export const fresh = (w: World, m: Member): Promise<DeviceSession> => session(w, m.device.serial, m.tok);

/** One base poll: the deploymentBase link if the update is offered, else undefined. */
export async function offerOf(w: World, m: Member) {
  const body = await basePoll(w.db, await fresh(w, m), w.cfg, ORIGIN);
  return body._links;
}

/** Asserts the device's update is offered by basePoll and served by deploymentBase. */
export async function expectOffered(w: World, m: Member, why = "") {
  const d = await fresh(w, m);
  expect(d.action?.id, `${m.device.serial} has an open action ${why}`).toBeTruthy();
  const body = await basePoll(w.db, d, w.cfg, ORIGIN);
  expect(body._links.deploymentBase?.href, `offered ${why}`).toContain(`/deploymentBase/${d.action!.id}?c=`);
  const dep = await deploymentBase(w.db, d, w.cfg, ORIGIN, d.action!.id, FROM);
  expect(dep.id).toBe(String(d.action!.id));
}

/** Asserts nothing is offered: no deploymentBase link, and deploymentBase() refuses the device's action. */
export async function expectWithheld(w: World, m: Member, why = "") {
  const d = await fresh(w, m);
  const body = await basePoll(w.db, d, w.cfg, ORIGIN);
  expect(body._links.deploymentBase, `withheld ${why}`).toBeUndefined();
  if (d.action?.id) {
    const err = await caught(() => deploymentBase(w.db, d, w.cfg, ORIGIN, d.action!.id!, FROM));
    expect(err, `deploymentBase refused ${why}`).toBeInstanceOf(NotFoundError);
  }
}

/** What the device page says blocks the device's update right now. */
export async function pageBlockers(w: World, m: Member): Promise<Blocker[]> {
  return (await deviceUpdateStatus(w.admin, { deviceId: m.device.id })).blockers;
}

export type Step = "downloading" | "installing" | "awaiting" | "succeeded" | "failed";

/**
 * Drives the device's open action through DDI, like SWUpdate: it must be offered, it fetches the
 * deployment, then reports progress up to `to`. Returns the action id.
 */
export async function drive(w: World, m: Member, to: Step): Promise<number> {
  const d = await fresh(w, m);
  const id = d.action?.id;
  if (!id) throw new Error(`${m.device.serial} has no open action to drive`);
  if (d.action!.state === "scheduled") await expectOffered(w, m, `before driving to ${to}`);
  const bodies: Record<Step, string[]> = {
    downloading: [sw.installing(id)],
    installing: [sw.installing(id), sw.installedChunk(id)],
    awaiting: [sw.installing(id), sw.installedChunk(id), sw.allInstalled(id)],
    succeeded: [sw.installing(id), sw.installedChunk(id), sw.allInstalled(id), sw.confirmed(id)],
    failed: [sw.installing(id), sw.failure(id)],
  };
  for (const body of bodies[to]) await applyFeedback(w.db, await fresh(w, m), id, "deployment", body, FROM);
  const expected = { downloading: "downloading", installing: "installing", awaiting: "installed_awaiting_confirmation", succeeded: "succeeded", failed: "failed" }[to];
  expect((await actionRow(w.db, id)).state).toBe(expected);
  return id;
}

export async function actionRow(db: Db, id: number): Promise<DeploymentAction> {
  const [row] = await db.select().from(deploymentActions).where(eq(deploymentActions.id, id));
  return row!;
}

export async function rolloutRow(db: Db, id: number): Promise<Rollout> {
  const [row] = await db.select().from(rollouts).where(eq(rollouts.id, id));
  return row!;
}

export function wavesOf(db: Db, rolloutId: number): Promise<RolloutWave[]> {
  return db.select().from(rolloutWaves).where(eq(rolloutWaves.rolloutId, rolloutId)).orderBy(asc(rolloutWaves.position));
}

/** Every deployment action of a rollout, oldest first. */
export function rolloutActions(db: Db, rolloutId: number): Promise<DeploymentAction[]> {
  return db.select().from(deploymentActions).where(eq(deploymentActions.rolloutId, rolloutId)).orderBy(asc(deploymentActions.id));
}

/** Actions of one device (any state), oldest first. */
export function deviceActions(db: Db, deviceId: number): Promise<DeploymentAction[]> {
  return db.select().from(deploymentActions).where(eq(deploymentActions.deviceId, deviceId)).orderBy(asc(deploymentActions.id));
}

export function rolloutDeviceRows(db: Db, rolloutId: number) {
  return db.select().from(rolloutDevices).where(eq(rolloutDevices.rolloutId, rolloutId)).orderBy(asc(rolloutDevices.deviceId));
}

/** The device ids placed in each wave, by wave position. */
export async function waveMembers(db: Db, rolloutId: number): Promise<number[][]> {
  const waves = await wavesOf(db, rolloutId);
  const rows = await rolloutDeviceRows(db, rolloutId);
  return waves.map((wv) => rows.filter((r) => r.waveId === wv.id).map((r) => r.deviceId));
}

export const byDevice = (members: Member[], ids: number[]) => members.filter((m) => ids.includes(m.device.id));

/** A clinician assigned to `unitIds` (through setUserUnits) who acknowledges the release's briefing in each. */
export async function acknowledgeIn(w: World, releaseId: number, unitIds: number[]) {
  const user = await createTestUser(w.db, "clinician");
  await setUserUnits(w.admin, { userId: user.id, unitIds });
  const ctx = ctxFor(w.db, userActor(user));
  for (const unitId of unitIds) await acknowledgeBriefing(ctx, { releaseId, unitId });
  return ctx;
}

/**
 * A snapshot of every table (audit trail aside) after writing the batched last-contact times, so two
 * equal snapshots mean nothing changed in between.
 */
export async function snapshot(db: Db) {
  await flushContacts(db);
  return dataFingerprint(db);
}

/** Physical row versions (xmin) of a rollout's own rows: equal before and after means no row was rewritten. */
export async function rowVersions(db: Db, rolloutId: number): Promise<string[]> {
  const rows = await queryRows<{ v: string }>(
    db,
    sql`SELECT 'r' || xmin::text AS v FROM rollouts WHERE id = ${rolloutId}
        UNION ALL SELECT 'w' || id || ':' || xmin::text FROM rollout_waves WHERE rollout_id = ${rolloutId}
        UNION ALL SELECT 'd' || device_id || ':' || xmin::text FROM rollout_devices WHERE rollout_id = ${rolloutId}
        UNION ALL SELECT 'a' || id || ':' || xmin::text FROM deployment_actions WHERE rollout_id = ${rolloutId}
        ORDER BY 1`,
  );
  return rows.map((r) => r.v);
}

/** Open (unfinished) actions per device of a rollout's devices: the invariant is ≤ 1 each. */
export async function openActionsPerDevice(db: Db, rolloutId: number): Promise<Map<number, number>> {
  const rows = await queryRows<{ device_id: number; n: number }>(
    db,
    sql`SELECT rd.device_id, count(a.id)::int AS n FROM rollout_devices rd
        LEFT JOIN deployment_actions a ON a.device_id = rd.device_id
          AND a.state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested')
        WHERE rd.rollout_id = ${rolloutId} GROUP BY rd.device_id`,
  );
  return new Map(rows.map((r) => [r.device_id, r.n]));
}

/** Active (non-ended) freezes are global: end any left behind so later tests and files are not frozen. */
export async function endAnyFreeze(db: Db) {
  await db.execute(sql`UPDATE freezes SET ended_at = now() WHERE ended_at IS NULL`);
  forgetUnitWindows();
}

/** A test file's world: a unit whose window is always open (UTC), its model, and an approved release of it. */
export async function openRolloutWorld() {
  const w = await openWorld();
  const home = await createPlace(w, { timeZone: "UTC", windows: [ALWAYS_OPEN] });
  return { w, home, release: await createRelease(w, home.model.id) };
}
