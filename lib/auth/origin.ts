import type { Origin } from "@/lib/services/actor";

/** The client address and user agent of a request, for the audit trail. */
export function originOf(headers: Headers): Origin {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return { ip: forwarded || headers.get("x-real-ip") || null, userAgent: headers.get("user-agent") };
}
