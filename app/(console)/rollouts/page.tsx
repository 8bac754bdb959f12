import type { Metadata } from "next";
import { NotYetAvailable } from "@/components/not-yet";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Rollouts" };

export default async function RolloutsPage() {
  await requirePagePermission("rollouts.read", "/rollouts");
  return (
    <NotYetAvailable
      title="Rollouts"
      purpose="Staged rollouts of approved releases, inside each unit's maintenance window and never to a device in clinical use."
      arrives="Staged rollouts arrive after release approvals are in place."
    />
  );
}
