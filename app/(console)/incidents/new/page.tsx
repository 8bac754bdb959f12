import type { Metadata } from "next";
import { CreateIncidentForm } from "@/components/incidents/forms";
import { BackLink, PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { incidentOwners } from "@/lib/services/incidents/queries";
import { listRollouts } from "@/lib/services/rollouts/queries";

export const metadata: Metadata = { title: "Open an incident" };

export default async function NewIncidentPage() {
  const user = await requirePagePermission("incidents.manage", "/incidents/new");
  const ctx = await requestCtx();
  const [owners, rollouts] = await Promise.all([incidentOwners(ctx, {}), can(user.role, "rollouts.read") ? listRollouts(ctx, {}) : Promise.resolve([])]);
  return (
    <>
      <BackLink href="/incidents">Incidents</BackLink>
      <PageHeader title="Open an incident" description="For a problem Corridor did not notice by itself. The people on call are told at once; the deadline depends on the severity." />
      <CreateIncidentForm owners={owners} rollouts={rollouts.map((r) => ({ id: r.id, name: `${r.name} (${r.modelName} ${r.version})` }))} />
    </>
  );
}
