import { and, asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import {
  briefingAcknowledgements, deviceModels, problemReports, releaseBriefings, releases, units, userUnits, users,
} from "@/db/schema";
import { AcknowledgeInput, BriefingInput, ProblemReportInput } from "@/lib/validation/releases";
import { RowId } from "@/lib/validation/ids";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { command, query } from "../operation";
import { loadRelease, rehashRelease, requireState, sha256Hex, stableJson } from "./lifecycle";
import { readingLevel } from "./reading-level";
import { problemReportIncident } from "../incidents/sources";

// Clinician briefings: written with the release, read and acknowledged per unit at the bedside. The
// rollout gate asks whether a unit has acknowledged the current text (briefingAcknowledgedUnits).

export const BRIEFING_SECTIONS = ["bedsideChanges", "alarmsAndScreens", "staffActions", "howToReport", "patientGuidance"] as const;

export const briefingText = (b: Record<(typeof BRIEFING_SECTIONS)[number], string>) => BRIEFING_SECTIONS.map((k) => b[k]).join("\n\n");

export const saveBriefing = command({
  name: "briefings.save",
  permission: "briefings.write",
  input: BriefingInput,
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    requireState(release, actor.type === "user" && actor.role === "vendor" ? ["draft"] : ["draft", "submitted", "verified", "in_review", "approved"], "change its briefing");
    const { releaseId, ...sections } = input;
    const level = readingLevel(briefingText(sections));
    const values = { ...sections, readingGrade: level.grade, textHash: sha256Hex(stableJson(sections)), updatedBy: actor.type === "user" ? actor.userId : null };
    const [before] = await tx.select().from(releaseBriefings).where(eq(releaseBriefings.releaseId, releaseId));
    if (before?.textHash === values.textHash) return { ...before, warning: null };
    await tx.insert(releaseBriefings).values({ releaseId, ...values }).onConflictDoUpdate({ target: releaseBriefings.releaseId, set: { ...values, updatedAt: sql`now()` } });
    await audit({ action: "briefing.saved", entityType: "release", entityId: releaseId, before: before ? { textHash: before.textHash, readingGrade: before.readingGrade } : null, after: { textHash: values.textHash, readingGrade: level.grade } });
    await rehashRelease(tx, releaseId, audit);
    return { ...values, warning: level.grade > 8 ? `Reading level is grade ${level.grade}; aim for grade 8 or lower so every reader understands it.` : null };
  },
});

/** The units a person is assigned to. */
async function myUnitIds(db: Db, userId: number): Promise<number[]> {
  const rows = await db.select({ unitId: userUnits.unitId }).from(userUnits).where(eq(userUnits.userId, userId));
  return rows.map((r) => r.unitId);
}

/**
 * The current briefing of each model used in the reader's units (all units for staff who oversee
 * them), each with whether the reader acknowledged the current text in that unit.
 */
export const listBriefings = query({
  name: "briefings.list",
  permission: "briefings.read",
  input: z.object({}).strict(),
  async run({ db, actor }) {
    if (actor.type !== "user") return { assignedUnits: [], items: [] };
    const clinician = actor.role === "clinician";
    const unitIds = clinician ? await myUnitIds(db, actor.userId) : null;
    if (unitIds && unitIds.length === 0) return { assignedUnits: [], items: [] };
    const unitFilter = unitIds ? sql`AND d.unit_id IN (${sql.join(unitIds.map((id) => sql`${id}`), sql`, `)})` : sql``;
    // The current briefing per model: its newest approved release. Unit names repeat across sites, so the
    // site comes along.
    const rows = await queryRows<{ release_id: number; unit_id: number; unit_name: string; site_name: string; devices: number }>(
      db,
      sql`WITH current AS (
            SELECT DISTINCT ON (r.model_id) r.id, r.model_id FROM releases r
            JOIN release_briefings b ON b.release_id = r.id
            WHERE r.state = 'approved'
            ORDER BY r.model_id, r.security_version DESC, r.id DESC)
          SELECT c.id AS release_id, u.id AS unit_id, u.name AS unit_name, s.name AS site_name, count(*)::int AS devices
          FROM current c
          JOIN devices d ON d.model_id = c.model_id ${unitFilter}
          JOIN units u ON u.id = d.unit_id
          JOIN sites s ON s.id = u.site_id
          GROUP BY c.id, u.id, u.name, s.name
          ORDER BY c.id DESC, s.name, u.name`,
    );
    const releaseIds = [...new Set(rows.map((r) => r.release_id))];
    if (releaseIds.length === 0) return { assignedUnits: unitIds ?? [], items: [] };
    const details = await db
      .select({ release: { id: releases.id, version: releases.version, riskClass: releases.riskClass, stateChangedAt: releases.stateChangedAt }, modelName: deviceModels.name, briefing: releaseBriefings })
      .from(releases)
      .innerJoin(deviceModels, eq(deviceModels.id, releases.modelId))
      .innerJoin(releaseBriefings, eq(releaseBriefings.releaseId, releases.id))
      .where(inArray(releases.id, releaseIds))
      .orderBy(desc(releases.stateChangedAt));
    const acks = await db
      .select({ releaseId: briefingAcknowledgements.releaseId, unitId: briefingAcknowledgements.unitId, textHash: briefingAcknowledgements.textHash, at: briefingAcknowledgements.acknowledgedAt })
      .from(briefingAcknowledgements)
      .where(and(eq(briefingAcknowledgements.userId, actor.userId), inArray(briefingAcknowledgements.releaseId, releaseIds)));
    return {
      assignedUnits: unitIds ?? [],
      items: details.map((d) => ({
        ...d,
        units: rows
          .filter((r) => r.release_id === d.release.id)
          .map((r) => {
            const ack = acks.find((a) => a.releaseId === d.release.id && a.unitId === r.unit_id && a.textHash === d.briefing.textHash);
            return { unitId: r.unit_id, unitName: r.unit_name, siteName: r.site_name, devices: r.devices, acknowledgedAt: ack?.at ?? null };
          }),
      })),
    };
  },
});

export const acknowledgeBriefing = command({
  name: "briefings.acknowledge",
  permission: "briefings.acknowledge",
  input: AcknowledgeInput,
  async run({ tx, actor, input, audit }) {
    if (actor.type !== "user") throw new ForbiddenError("Only a person can acknowledge a briefing.");
    await requireMyUnit(tx, actor.userId, input.unitId);
    const [briefing] = await tx
      .select({ textHash: releaseBriefings.textHash, state: releases.state })
      .from(releaseBriefings)
      .innerJoin(releases, eq(releases.id, releaseBriefings.releaseId))
      .where(eq(releaseBriefings.releaseId, input.releaseId));
    if (!briefing || briefing.state !== "approved") throw new NotFoundError("There is no current briefing for this release.");
    const [user] = await tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, actor.userId));
    const [row] = await tx
      .insert(briefingAcknowledgements)
      .values({ releaseId: input.releaseId, unitId: input.unitId, userId: actor.userId, printedName: user!.displayName, textHash: briefing.textHash })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new ConflictError("You have already acknowledged this briefing for this unit.");
    await audit({ action: "briefing.acknowledged", entityType: "release", entityId: input.releaseId, after: { unitId: input.unitId, textHash: briefing.textHash, printedName: row.printedName } });
    return row;
  },
});

async function requireMyUnit(db: Db, userId: number, unitId: number) {
  const [mine] = await db.select().from(userUnits).where(and(eq(userUnits.userId, userId), eq(userUnits.unitId, unitId)));
  if (!mine) throw new ForbiddenError("You are not assigned to this unit. Ask your administrator to add you to it.");
}

export const reportProblem = command({
  name: "briefings.report_problem",
  permission: "briefings.report",
  input: ProblemReportInput,
  async run({ tx, actor, input, audit }) {
    if (actor.type !== "user") throw new ForbiddenError("Only a person can report a problem.");
    await requireMyUnit(tx, actor.userId, input.unitId);
    const [release] = await tx.select({ id: releases.id }).from(releases).where(eq(releases.id, input.releaseId));
    if (!release) throw new NotFoundError("This release does not exist.");
    const [row] = await tx.insert(problemReports).values({ ...input, deviceSerial: input.deviceSerial || null, userId: actor.userId }).returning();
    await audit({ action: "briefing.problem_reported", entityType: "release", entityId: input.releaseId, after: { reportId: row!.id, unitId: input.unitId, deviceSerial: row!.deviceSerial, patientHarm: input.patientHarm } });
    // ROL-10: every problem report enters incident handling (reports about one device and release share one).
    await problemReportIncident(tx, actor, audit, row!);
    return row!;
  },
});

/**
 * For each unit that uses the release's model: the clinicians assigned, how many acknowledged the
 * current text, and problem reports from that unit.
 */
export const briefingCoverage = query({
  name: "briefings.coverage",
  permission: "acknowledgements.read",
  input: z.object({ releaseId: RowId("Unknown release.") }).strict(),
  async run({ db, actor, input }) {
    const release = await loadRelease(db, actor, input.releaseId);
    return queryRows<{ unit_id: number; unit_name: string; site_name: string; devices: number; clinicians: number; acknowledged: number; problems: number }>(
      db,
      sql`SELECT unit_id, unit_name, site_name, devices, clinicians, acknowledged, problems
          FROM (${briefingCoverageSql(sql`${release.id}`)}) c ORDER BY site_name, unit_name`,
    );
  },
});

/**
 * Coverage rows (release_id, unit_id, unit_name, site_name, devices, clinicians, acknowledged, problems)
 * for each release in `releaseIds` (a list or subquery of ids) and each unit that has devices of its
 * model. Shared with the compliance figures, which aggregate it per unit.
 */
export function briefingCoverageSql(releaseIds: SQL): SQL {
  return sql`SELECT r.id AS release_id, u.id AS unit_id, u.name AS unit_name, s.name AS site_name, used.devices,
                    (SELECT count(*)::int FROM user_units uu JOIN users us ON us.id = uu.user_id WHERE uu.unit_id = u.id AND us.role = 'clinician' AND us.active) AS clinicians,
                    (SELECT count(DISTINCT a.user_id)::int FROM briefing_acknowledgements a WHERE a.release_id = r.id AND a.unit_id = u.id AND a.text_hash = b.text_hash) AS acknowledged,
                    (SELECT count(*)::int FROM problem_reports p WHERE p.release_id = r.id AND p.unit_id = u.id) AS problems
             FROM releases r
             LEFT JOIN release_briefings b ON b.release_id = r.id
             JOIN LATERAL (SELECT unit_id, count(*)::int AS devices FROM devices WHERE model_id = r.model_id GROUP BY unit_id) used ON true
             JOIN units u ON u.id = used.unit_id JOIN sites s ON s.id = u.site_id
             WHERE r.id IN (${releaseIds})`;
}

/** Units where someone assigned there acknowledged the release's current briefing (the rollout gate). */
export async function briefingAcknowledgedUnits(db: Db, releaseId: number): Promise<Set<number>> {
  const rows = await queryRows<{ unit_id: number }>(
    db,
    sql`SELECT DISTINCT a.unit_id FROM briefing_acknowledgements a
        JOIN release_briefings b ON b.release_id = a.release_id AND b.text_hash = a.text_hash
        WHERE a.release_id = ${releaseId}`,
  );
  return new Set(rows.map((r) => r.unit_id));
}

export const problemReportsFor = query({
  name: "briefings.problem_reports",
  permission: "acknowledgements.read",
  input: z.object({ releaseId: RowId("Unknown release.") }).strict(),
  async run({ db, actor, input }) {
    const release = await loadRelease(db, actor, input.releaseId);
    return db
      .select({ id: problemReports.id, unitName: units.name, reporter: users.displayName, deviceSerial: problemReports.deviceSerial, description: problemReports.description, patientHarm: problemReports.patientHarm, createdAt: problemReports.createdAt })
      .from(problemReports)
      .innerJoin(units, eq(units.id, problemReports.unitId))
      .innerJoin(users, eq(users.id, problemReports.userId))
      .where(eq(problemReports.releaseId, release.id))
      .orderBy(desc(problemReports.id));
  },
});

export const setUserUnits = command({
  name: "users.set_units",
  permission: "users.manage",
  input: z.object({ userId: RowId("Unknown account."), unitIds: z.array(RowId("Unknown unit.")).max(200) }).strict(),
  async run({ tx, input, audit }) {
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId));
    if (!user) throw new NotFoundError("This account does not exist.");
    const unitIds = [...new Set(input.unitIds)];
    if (unitIds.length) {
      const found = await tx.select({ id: units.id }).from(units).where(inArray(units.id, unitIds));
      if (found.length !== unitIds.length) throw new ValidationError("One of the units does not exist.");
    }
    const before = (await tx.select({ unitId: userUnits.unitId }).from(userUnits).where(eq(userUnits.userId, user.id)).orderBy(asc(userUnits.unitId))).map((r) => r.unitId);
    await tx.delete(userUnits).where(eq(userUnits.userId, user.id));
    if (unitIds.length) await tx.insert(userUnits).values(unitIds.map((unitId) => ({ userId: user.id, unitId })));
    await audit({ action: "user.units_set", entityType: "user", entityId: user.id, before: { unitIds: before }, after: { unitIds: unitIds.sort((a, b) => a - b) } });
    return { unitIds };
  },
});
