"use server";

import { revalidatePath } from "next/cache";
import { verifyAuditChain } from "@/lib/services/audit/audit-trail";
import { runAction, type ActionState } from "./run";

export async function verifyAuditChainAction(): Promise<ActionState> {
  const result = await runAction(verifyAuditChain, {});
  revalidatePath("/audit");
  return result;
}
