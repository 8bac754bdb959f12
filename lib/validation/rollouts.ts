import { z } from "zod";
import { WAVE_KINDS } from "@/lib/domain";
import { RowId } from "./ids";

const ids = (what: string, max = 500) => z.array(RowId(`Unknown ${what}.`)).max(max).optional();
const pct = (what: string) => z.coerce.number({ error: `${what}: a percentage.` }).min(0, `${what}: 0 to 100.`).max(100, `${what}: 0 to 100.`);

/** Which devices a rollout is for; anything left out means "any". */
export const TargetFilter = z
  .object({
    releaseId: RowId("Choose an approved release."),
    modelIds: ids("model", 50),
    hardwareRevisions: z.array(z.string().trim().min(1).max(40)).max(50).optional(),
    siteIds: ids("site", 50),
    unitIds: ids("unit"),
    currentVersions: z.array(z.string().trim().min(1).max(40)).max(100).optional(),
    deviceIds: ids("device", 50_000),
    /** Serial numbers, as printed on the device (what biomed staff have at hand). */
    serials: z.array(z.string().trim().min(1).max(80)).max(5_000).optional(),
    /** Devices silent for longer than this are left out (they cannot be trusted to report clinical use). */
    offlineDays: z.coerce.number().int().min(1).max(365).default(7),
  })
  .strict();

export const WaveInput = z
  .object({
    kind: z.enum(WAVE_KINDS),
    name: z.string().trim().min(1, "Name each wave.").max(80),
    /** Pilot: these units; otherwise a sample of this percentage of every unit. General: this share of all targets. */
    unitIds: ids("unit"),
    percent: pct("Wave size").optional(),
    minSuccessPct: pct("Minimum success").default(95),
    maxFailurePct: pct("Maximum failure").default(5),
    minSample: z.coerce.number().int().min(1, "The failure gate needs a sample of at least 1.").max(10_000).default(5),
    soakMinutes: z.coerce.number().int().min(0).max(30 * 24 * 60).default(60),
    requireAcknowledgement: z.boolean().default(true),
    requireGoAhead: z.boolean().default(false),
  })
  .strict();

export const CreateRolloutInput = z
  .object({
    name: z.string().trim().min(1, "Name the rollout.").max(120),
    filter: TargetFilter,
    waves: z.array(WaveInput).min(1, "A rollout needs at least one wave.").max(10, "At most 10 waves."),
    maxConcurrent: z.coerce.number().int().min(1).max(10_000).default(50),
  })
  .strict()
  .refine((r) => r.waves.every((w, i) => i === 0 || order(r.waves[i - 1]!.kind) <= order(w.kind)), {
    message: "Waves go lab → pilot → general.",
    path: ["waves"],
  });

const order = (k: (typeof WAVE_KINDS)[number]) => WAVE_KINDS.indexOf(k);

export const RolloutRef = z.object({ rolloutId: RowId("Unknown rollout.") }).strict();
