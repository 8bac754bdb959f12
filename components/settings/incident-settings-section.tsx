import { can } from "@/lib/auth/permissions";
import { requestCtx } from "@/lib/auth/session";
import { incidentSettings } from "@/lib/services/incidents/settings";
import { IncidentSettings } from "./incident-settings";

/** The settings page's "Incidents" section, shown to roles that may change it. */
export async function IncidentSettingsSection() {
  const ctx = await requestCtx();
  if (ctx.actor?.type !== "user" || !can(ctx.actor.role, "incidents.configure")) return null;
  return (
    <section className="card mb-6 p-5" aria-labelledby="incident-settings">
      <h2 id="incident-settings" className="mb-4 text-base font-semibold">Incidents</h2>
      <IncidentSettings settings={await incidentSettings(ctx, {})} />
    </section>
  );
}
