import { eq, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { releases, type Release } from "@/db/schema";
import { TargetFilter } from "@/lib/validation/rollouts";
import { ConflictError, NotFoundError } from "../errors";
import { query } from "../operation";

// Who a rollout would reach. Every device the filter selects is judged once, in SQL, and either is a
// target or carries the first reason it is not: the wizard's compatibility report and the rollout's
// creation read the same verdicts.

export const EXCLUSIONS = ["wrong_model", "wrong_hardware", "below_floor", "not_active", "offline_too_long", "open_update", "in_other_rollout", "already_installed"] as const;
export type Exclusion = (typeof EXCLUSIONS)[number];

export const EXCLUSION_LABELS: Record<Exclusion, string> = {
  wrong_model: "a different model than the release is for",
  wrong_hardware: "a hardware revision the release does not support",
  below_floor: "already on a higher security version (no rollback)",
  not_active: "quarantined or retired",
  offline_too_long: "not heard from recently",
  open_update: "already has an unfinished update",
  in_other_rollout: "waits for its wave in another rollout",
  already_installed: "already runs this version",
};

export type Candidate = { id: number; unit_id: number; sandbox: boolean; excluded: Exclusion | null };

export async function approvedRelease(db: Db, releaseId: number): Promise<Release> {
  const [release] = await db.select().from(releases).where(eq(releases.id, releaseId));
  if (!release) throw new NotFoundError("This release does not exist.");
  if (release.state !== "approved") throw new ConflictError(`Only an approved release can be rolled out; this one is ${release.state.replace("_", " ")}.`);
  return release;
}

const anyOf = (column: SQL, values: readonly (string | number)[] | undefined, type: "int" | "text") =>
  values?.length ? sql`AND ${column} = ANY(${sql.param(values)}::${sql.raw(type)}[])` : sql``;

/** Every device the filter selects, with why it is not a target (null when it is one). */
/** `belowFloor`: a signed downgrade exception lets these devices go below their security floor. */
export async function candidates(db: Db, release: Release, f: z.output<typeof TargetFilter>, opts: { belowFloor?: boolean } = {}): Promise<Candidate[]> {
  const models = f.modelIds?.length ? f.modelIds : [release.modelId];
  return queryRows<Candidate>(
    db,
    sql`SELECT d.id, d.unit_id, d.sandbox,
          CASE
            WHEN d.model_id <> ${release.modelId} THEN 'wrong_model'
            WHEN NOT (d.hardware_revision = ANY(${sql.param(release.hardwareRevisions)}::text[])) THEN 'wrong_hardware'
            WHEN d.security_version > ${release.securityVersion} AND ${!opts.belowFloor} THEN 'below_floor'
            WHEN d.status IN ('quarantined', 'retired') THEN 'not_active'
            WHEN d.last_contact_at IS NULL OR d.last_contact_at < now() - make_interval(days => ${f.offlineDays}) THEN 'offline_too_long'
            WHEN EXISTS (SELECT 1 FROM deployment_actions a WHERE a.device_id = d.id
                         AND a.state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested')) THEN 'open_update'
            WHEN EXISTS (SELECT 1 FROM rollout_devices rd JOIN rollouts r ON r.id = rd.rollout_id
                         WHERE rd.device_id = d.id AND r.state IN ('running', 'paused') AND rd.action_id IS NULL AND rd.skipped_reason IS NULL) THEN 'in_other_rollout'
            WHEN d.firmware_version = ${release.version} THEN 'already_installed'
          END AS excluded
        FROM devices d JOIN units u ON u.id = d.unit_id
        WHERE d.model_id = ANY(${sql.param(models)}::int[])
          ${anyOf(sql`d.hardware_revision`, f.hardwareRevisions, "text")}
          ${anyOf(sql`u.site_id`, f.siteIds, "int")}
          ${anyOf(sql`d.unit_id`, f.unitIds, "int")}
          ${anyOf(sql`d.firmware_version`, f.currentVersions, "text")}
          ${anyOf(sql`d.id`, f.deviceIds, "int")}
          ${anyOf(sql`d.serial`, f.serials, "text")}
        ORDER BY d.id`,
  );
}

/** Listed serial numbers that match no device at all (typos show up before anything is created). */
async function unknownSerials(db: Db, serials: string[] | undefined): Promise<string[]> {
  if (!serials?.length) return [];
  const known = await queryRows<{ serial: string }>(db, sql`SELECT serial FROM devices WHERE serial = ANY(${sql.param(serials)}::text[])`);
  const found = new Set(known.map((k) => k.serial));
  return [...new Set(serials.filter((s) => !found.has(s)))];
}

/** The wizard's live count and compatibility report, before anything is created. */
export const previewTargets = query({
  name: "rollouts.preview",
  permission: "rollouts.manage",
  input: TargetFilter,
  async run({ db, input }) {
    const release = await approvedRelease(db, input.releaseId);
    const all = await candidates(db, release, input);
    const targets = all.filter((c) => c.excluded === null);
    const excluded = Object.fromEntries(EXCLUSIONS.map((e) => [e, 0])) as Record<Exclusion, number>;
    for (const c of all) if (c.excluded) excluded[c.excluded]++;
    const perUnit = new Map<number, number>();
    for (const t of targets) perUnit.set(t.unit_id, (perUnit.get(t.unit_id) ?? 0) + 1);
    return {
      unknownSerials: await unknownSerials(db, input.serials),
      selected: all.length,
      targets: targets.length,
      sandbox: targets.filter((t) => t.sandbox).length,
      excluded,
      perUnit: [...perUnit].map(([unitId, devices]) => ({ unitId, devices })).sort((a, b) => b.devices - a.devices),
    };
  },
});
