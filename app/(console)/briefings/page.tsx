import type { Metadata } from "next";
import { NotYetAvailable } from "@/components/not-yet";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Briefings" };

export default async function BriefingsPage() {
  await requirePagePermission("briefings.read", "/briefings");
  return (
    <NotYetAvailable
      title="Briefings"
      purpose="Plain-language notes for clinicians about what changes at the bedside after an update."
      arrives="Clinician briefings arrive together with releases."
    />
  );
}
