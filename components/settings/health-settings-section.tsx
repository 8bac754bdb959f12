import { can } from "@/lib/auth/permissions";
import { requestCtx } from "@/lib/auth/session";
import { healthSettings } from "@/lib/services/telemetry/settings";
import { HealthSettings } from "./health-settings";

/** The settings page's "Health telemetry" section, shown to roles that may change it. */
export async function HealthSettingsSection() {
  const ctx = await requestCtx();
  if (ctx.actor?.type !== "user" || !can(ctx.actor.role, "health.configure")) return null;
  const settings = await healthSettings(ctx, {});
  return (
    <section className="card mb-6 p-5" aria-labelledby="health-telemetry">
      <h2 id="health-telemetry" className="mb-4 text-base font-semibold">Health telemetry</h2>
      <HealthSettings retention={settings.retention} regression={settings.regression} />
    </section>
  );
}
