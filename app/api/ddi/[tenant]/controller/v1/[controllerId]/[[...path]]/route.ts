import { deviceRoute } from "@/lib/api/ddi";

// hawkBit DDI API for device agents (SWUpdate, RAUC, Zephyr): {base}/{tenant}/controller/v1/{controllerId}/…
// Authenticated per device with its target token, never with a console session.
export const GET = deviceRoute("GET");
export const HEAD = deviceRoute("HEAD");
export const POST = deviceRoute("POST");
export const PUT = deviceRoute("PUT");
