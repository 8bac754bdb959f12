import type { Metadata } from "next";
import { ModelHealth } from "@/components/telemetry/model-health";
import { BackLink } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { orNotFound } from "@/lib/pages";
import { modelSummary } from "@/lib/services/telemetry/charts";

export const metadata: Metadata = { title: "Model health" };

export default async function ModelHealthPage({ params }: { params: Promise<{ id: string }> }) {
  await requirePagePermission("devices.read", "/inventory/models/[id]");
  const { id } = await params;
  const model = await orNotFound(modelSummary(await requestCtx(), { modelId: id }));
  return (
    <>
      <BackLink href="/inventory">Inventory</BackLink>
      <h1 className="mb-1 text-2xl font-semibold text-slate-900">{model.manufacturer} {model.name}</h1>
      <p className="mb-6 text-sm text-slate-600">{model.deviceType} · health of every device of this model, hour by hour: the line is the mean, the band holds 80 % of the devices.</p>
      <section className="card p-5" aria-labelledby="model-health">
        <h2 id="model-health" className="mb-4 text-base font-semibold">Health, last 7 days</h2>
        <ModelHealth modelId={model.id} />
      </section>
    </>
  );
}
