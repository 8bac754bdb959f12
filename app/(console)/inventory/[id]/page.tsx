import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { CriticalityBadge, StatusBadge } from "@/components/device-badges";
import { DeviceEditForm } from "@/components/device-edit-form";
import { formatAgo, formatDateTime } from "@/components/format";
import { AuditChanges } from "@/components/audit-changes";
import { BackLink, Badge, Field } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { NotFoundError, ValidationError } from "@/lib/services/errors";
import { getDevice } from "@/lib/services/inventory/device";
import { deviceFilterOptions } from "@/lib/services/inventory/list-devices";

export const metadata: Metadata = { title: "Device" };

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePagePermission("devices.read", "/inventory/[id]");
  const { id } = await params;
  const ctx = await requestCtx();
  const found = await getDevice(ctx, { deviceId: id }).catch((err) => {
    if (err instanceof NotFoundError || err instanceof ValidationError) return null;
    throw err;
  });
  if (!found) notFound();
  const { device, model, manufacturerName, unit, site, history } = found;
  const canEdit = can(user.role, "devices.update");
  const options = canEdit ? await deviceFilterOptions(ctx, undefined) : null;
  const siteName = new Map(options?.sites.map((s) => [s.id, s.name]));

  return (
    <>
      <BackLink href="/inventory">Inventory</BackLink>
      <div className="mb-6 flex flex-wrap items-center gap-3">
        <h1 className="font-mono text-2xl font-semibold">{device.serial}</h1>
        <StatusBadge status={device.status} />
        <CriticalityBadge criticality={model.criticality} />
        {device.sandbox ? <Badge tone="blue">Lab (sandbox) device</Badge> : null}
      </div>
      <p className="-mt-4 mb-6 text-sm text-slate-600">
        {manufacturerName} {model.name} · {model.deviceType} · {unit.name}, {site.name}
      </p>

      <div className="grid gap-6 lg:grid-cols-3">
        <section className="card p-5 lg:col-span-2" aria-labelledby="identity">
          <h2 id="identity" className="mb-4 text-base font-semibold">Device</h2>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-4 md:grid-cols-3">
            <Field label="UDI"><span className="font-mono text-xs break-all">{device.udi}</span></Field>
            <Field label="Hardware revision">{device.hardwareRevision}</Field>
            <Field label="Network">{device.network}</Field>
            <Field label="Installed firmware"><span className="font-mono">{device.firmwareVersion}</span></Field>
            <Field label="Security version">{device.securityVersion}</Field>
            <Field label="Last contact">
              <span title={formatDateTime(device.lastContactAt)}>{formatAgo(device.lastContactAt)}</span>
            </Field>
            <Field label="Unit">{unit.name} ({unit.kind.toUpperCase()})</Field>
            <Field label="Site">{site.name}</Field>
            <Field label="Unit time zone">{unit.timeZone}</Field>
          </dl>
          <h2 className="mt-8 mb-4 text-base font-semibold">Model</h2>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-4 md:grid-cols-3">
            <Field label="Manufacturer">{manufacturerName}</Field>
            <Field label="Model">{model.name}</Field>
            <Field label="Device class">Class {model.deviceClass}</Field>
            <Field label="End of support">
              {model.endOfSupport ?? "—"}
              {model.endOfSupport && model.endOfSupport < new Date().toISOString().slice(0, 10) ? (
                <span className="ml-2"><Badge tone="red">Past end of support</Badge></span>
              ) : null}
            </Field>
            <Field label="Typical update time">{model.updateMinutes} min</Field>
            <Field label="Minimum battery to update">{model.minBatteryPct}%</Field>
          </dl>
        </section>

        {canEdit && options ? (
          <section className="card p-5" aria-labelledby="edit">
            <h2 id="edit" className="mb-4 text-base font-semibold">Change placement or status</h2>
            <DeviceEditForm
              device={{ id: device.id, unitId: device.unitId, status: device.status, hardwareRevision: device.hardwareRevision }}
              units={options.units.map((u) => ({ id: u.id, name: u.name, siteName: siteName.get(u.siteId) ?? "" }))}
            />
          </section>
        ) : null}
      </div>

      <section className="card mt-6 p-5" aria-labelledby="history">
        <h2 id="history" className="mb-4 text-base font-semibold">History</h2>
        {history.length === 0 ? (
          <p className="text-sm text-slate-600">No changes have been recorded for this device since it was added.</p>
        ) : (
          <ol className="space-y-3" data-testid="device-history">
            {history.map((h) => (
              <li key={h.seq} className="border-l-2 border-brand-100 pl-3 text-sm">
                <p>
                  <span className="font-medium">{h.action}</span> by {h.actorName ?? "system"}{" "}
                  <span className="text-slate-600">· {formatDateTime(h.createdAt)}</span>
                </p>
                <AuditChanges before={h.before} after={h.after} fields={h.changedFields} />
                {h.reason ? <p className="text-slate-600">Reason: {h.reason}</p> : null}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
