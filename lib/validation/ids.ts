import { z } from "zod";

/** A row id: a positive 32-bit integer, so an out-of-range number is a clear input error, not a database error. */
export const RowId = (message = "Unknown record.") =>
  z.coerce.number({ error: message }).int(message).positive(message).max(2147483647, message);
