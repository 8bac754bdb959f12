import type { Metadata } from "next";
import { NotYetAvailable } from "@/components/not-yet";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Incidents" };

export default async function IncidentsPage() {
  await requirePagePermission("incidents.read", "/incidents");
  return (
    <NotYetAvailable
      title="Incidents"
      purpose="Failed updates, health regressions and problems reported by clinicians, with an owner and a deadline."
      arrives="Incident tracking arrives with post-update monitoring."
    />
  );
}
