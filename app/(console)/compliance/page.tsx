import type { Metadata } from "next";
import { NotYetAvailable } from "@/components/not-yet";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Compliance" };

export default async function CompliancePage() {
  await requirePagePermission("compliance.read", "/compliance");
  return (
    <NotYetAvailable
      title="Compliance"
      purpose="How much of the fleet runs the current approved firmware, and where the risk is."
      arrives="Compliance charts arrive once rollouts report progress."
    />
  );
}
