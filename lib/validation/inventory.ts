import { z } from "zod";
import { CRITICALITIES, DEVICE_STATUSES } from "@/lib/domain";
import { RowId } from "@/lib/validation/ids";

const Id = (what: string) =>
  z.coerce.number({ error: `Choose a ${what} from the list.` }).int(`Choose a ${what} from the list.`).positive(`Choose a ${what} from the list.`).max(2147483647, `Choose a ${what} from the list.`);

export const DEVICE_SORTS = ["serial", "firmware", "status", "lastContact", "risk"] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];

export const DeviceListInput = z
  .object({
    q: z.string().trim().max(80, "Search for at most 80 characters.").optional(),
    site: Id("site").optional(),
    unit: Id("unit").optional(),
    model: Id("model").optional(),
    manufacturer: Id("manufacturer").optional(),
    firmware: z.string().trim().max(40, "A firmware version has at most 40 characters.").optional(),
    status: z.enum(DEVICE_STATUSES, { error: `Status must be one of: ${DEVICE_STATUSES.join(", ")}.` }).optional(),
    criticality: z.enum(CRITICALITIES, { error: `Criticality must be one of: ${CRITICALITIES.join(", ")}.` }).optional(),
    sort: z.enum(DEVICE_SORTS, { error: `Sort by one of: ${DEVICE_SORTS.join(", ")}.` }).default("serial"),
    dir: z.enum(["asc", "desc"], { error: "Direction must be asc or desc." }).default("asc"),
    after: z.string().max(400).optional(),
    before: z.string().max(400).optional(),
    limit: z.coerce.number().int().min(1).max(200, "Show at most 200 devices per page.").default(50),
    /** The clock the risk score is computed at (tests freeze it); the database's own clock otherwise. */
    now: z.date().optional(),
  })
  .strict()
  .refine((v) => !(v.after && v.before), "Use either the next or the previous page link, not both.");

export type DeviceListQuery = z.output<typeof DeviceListInput>;

export const UpdateDeviceInput = z
  .object({
    deviceId: RowId("Unknown device."),
    unitId: Id("unit").optional(),
    status: z.enum(DEVICE_STATUSES, { error: `Status must be one of: ${DEVICE_STATUSES.join(", ")}.` }).optional(),
    hardwareRevision: z.string().trim().min(1, "Enter the hardware revision.").max(40).optional(),
    sandbox: z.boolean().optional(),
    reason: z.string().trim().max(500).optional(),
  })
  .strict()
  .refine((v) => v.unitId !== undefined || v.status !== undefined || v.hardwareRevision !== undefined || v.sandbox !== undefined, "Nothing to change.");

/** Turns URL search params into plain values; a repeated parameter is kept as an array so validation rejects it. */
export function searchParamsToObject(params: Record<string, string | string[] | undefined>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== ""));
}
