import type { Metadata } from "next";
import { NotYetAvailable } from "@/components/not-yet";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Releases" };

export default async function ReleasesPage() {
  await requirePagePermission("releases.read", "/releases");
  return (
    <NotYetAvailable
      title="Releases"
      purpose="Vendor firmware releases, their verification evidence, approvals and electronic signatures."
      arrives="Release intake, signature verification and approvals arrive in the next version."
    />
  );
}
