import { z } from "zod";

const Id = (what: string) => z.coerce.number({ error: `Choose a ${what}.` }).int(`Choose a ${what}.`).positive(`Choose a ${what}.`).max(2147483647, `Choose a ${what}.`);

export const AssignReleaseInput = z.object({ deviceId: Id("device"), releaseId: Id("release") }).strict();
export const CancelActionInput = z.object({ actionId: Id("deployment"), reason: z.string().trim().max(500).optional() }).strict();
export const DeviceRef = z.object({ deviceId: Id("device") }).strict();

export const UploadReleaseInput = z
  .object({
    modelId: Id("device model"),
    version: z.string().trim().regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$/, "Version: use letters, digits, dots, dashes (e.g. 4.3.0)."),
    securityVersion: z.coerce.number({ error: "Security version must be a whole number." }).int("Security version must be a whole number.").min(0, "Security version cannot be negative.").max(1_000_000),
    hardwareRevisions: z
      .string()
      .transform((s) => [...new Set(s.split(",").map((x) => x.trim()).filter(Boolean))])
      .pipe(z.array(z.string().max(40)).min(1, "List at least one compatible hardware revision.").max(50)),
    filename: z.string().trim().regex(/^[\w.+-]{1,100}\.swu$/, "The package file name must end in .swu (what device agents such as SWUpdate install)."),
    notes: z.string().trim().max(2000).optional(),
  })
  .strict();

export const WindowInput = z.object({
  rrule: z.string().trim().min(6).max(300),
  startsAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Start time: use HH:MM (24-hour, the unit's local time)."),
  durationMinutes: z.coerce.number().int().min(5, "A window lasts at least 5 minutes.").max(1440, "A window lasts at most 24 hours."),
  label: z.string().trim().max(80).optional(),
});

/** One set of windows: a unit's or a whole site's, for every model or narrowed to one model. */
export const SetWindowsInput = z
  .object({ unitId: Id("unit").optional(), siteId: Id("site").optional(), modelId: Id("model").nullish(), windows: z.array(WindowInput).max(20) })
  .strict()
  .refine((v) => (v.unitId === undefined) !== (v.siteId === undefined), { message: "Choose a unit or a site (one of them).", path: ["unitId"] });
