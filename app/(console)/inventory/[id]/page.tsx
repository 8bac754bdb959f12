import type { Metadata } from "next";
import Link from "next/link";
import { CriticalityBadge, StatusBadge } from "@/components/device-badges";
import { DeviceEditForm } from "@/components/device-edit-form";
import { DeviceHealth } from "@/components/telemetry/device-health";
import { formatAgo, formatDateTime, formatWindow } from "@/components/format";
import { AuditChanges } from "@/components/audit-changes";
import { BackLink, Badge, Field } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { orNotFound } from "@/lib/pages";
import { deviceActions, latestActionFeedback } from "@/lib/services/deployments/actions";
import { deviceUpdateStatus } from "@/lib/services/deployments/device-status";
import { assignableReleases, listReleases, recalledFirmware } from "@/lib/services/releases/queries";
import { BLOCKER_LABELS } from "@/lib/services/safety/install-gate";
import { getDevice } from "@/lib/services/inventory/device";
import { deviceRisk } from "@/lib/services/inventory/risk";
import { DeviceRisk } from "@/components/device-risk";
import { ACTION_STATE_LABELS, OPEN_ACTION_STATES } from "@/lib/domain";
import { AssignReleaseForm, CancelDeploymentForm, TokenForms } from "@/components/device-update-forms";
import { ActionStateBadge } from "@/components/action-state-badge";
import { deviceFilterOptions } from "@/lib/services/inventory/list-devices";
import { TableHead } from "@/components/table";
import { deviceRollouts } from "@/lib/services/rollouts/queries";
import type { ActionState as DeploymentState } from "@/lib/domain";

export const metadata: Metadata = { title: "Device" };

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePagePermission("devices.read", "/inventory/[id]");
  const { id } = await params;
  const ctx = await requestCtx();
  const found = await orNotFound(getDevice(ctx, { deviceId: id }));
  const { device, model, manufacturerName, unit, site, history } = found;
  const canEdit = can(user.role, "devices.update");
  const canAssign = can(user.role, "deployments.assign");
  const [updates, actions, assignable, reports, rollouts] = await Promise.all([
    deviceUpdateStatus(ctx, { deviceId: device.id, clinicalUseMaxAgeMinutes: env.CLINICAL_USE_MAX_AGE_MINUTES }),
    deviceActions(ctx, { deviceId: device.id }),
    canAssign ? assignableReleases(ctx, { deviceId: device.id }) : Promise.resolve([]),
    latestActionFeedback(ctx, { deviceId: device.id }),
    deviceRollouts(ctx, { deviceId: device.id }),
  ]);
  const readsRollouts = can(user.role, "rollouts.read");
  const open = actions.find((a) => OPEN_ACTION_STATES.includes(a.state));
  // The installed firmware is a recalled release: flag it, and link the release when this role may read it.
  const recalled = (await recalledFirmware(ctx.db, [device.id])).has(device.id);
  const recalledRelease = recalled && can(user.role, "releases.read")
    ? (await listReleases(ctx, { modelId: model.id, state: "recalled" })).find((r) => r.version === device.firmwareVersion)
    : undefined;
  const options = canEdit ? await deviceFilterOptions(ctx, undefined) : null;
  const siteName = new Map(options?.sites.map((s) => [s.id, s.name]));
  const risk = await deviceRisk(ctx, { deviceId: device.id });

  return (
    <>
      <BackLink href="/inventory">Inventory</BackLink>
      <div className="mb-6 flex flex-wrap items-center gap-3">
        <h1 className="font-mono text-2xl font-semibold">{device.serial}</h1>
        <StatusBadge status={device.status} />
        <CriticalityBadge criticality={model.criticality} />
        {device.sandbox ? <Badge tone="blue">Lab (sandbox) device</Badge> : null}
        {recalled ? (
          <span data-testid="recalled-firmware" className="inline-flex items-center gap-2">
            <Badge tone="red">Recalled firmware</Badge>
            {recalledRelease ? <Link href={`/releases/${recalledRelease.id}`} className="link text-sm">Open the recalled release</Link> : null}
          </span>
        ) : null}
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
            <Field label="Model"><Link href={`/inventory/models/${model.id}`} className="link">{model.name}</Link></Field>
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

      <DeviceRisk risk={risk} />

      <div className="mt-6 grid gap-6 lg:grid-cols-3">
        <section className="card p-5 lg:col-span-2" aria-labelledby="updates">
          <h2 id="updates" className="mb-1 text-base font-semibold">Updates</h2>
          <p className="mb-4 text-sm text-slate-600" data-testid="install-readiness">
            {updates.blockers.length === 0
              ? "This device could install an update now: its unit's window is open and it reports no patient use."
              : `This device will not install now: ${updates.blockers.map((b) => BLOCKER_LABELS[b]).join("; ")}.`}
          </p>
          {open ? (
            <div className="mb-4 rounded-md border border-sky-200 bg-sky-50 p-3 text-sm">
              <p>
                Update to <span className="font-mono">{open.version}</span>: <ActionStateBadge state={open.state} />
              </p>
              {can(user.role, "deployments.cancel") && open.state !== "cancel_requested" ? <CancelDeploymentForm deviceId={device.id} actionId={open.id} /> : null}
            </div>
          ) : canAssign ? (
            <div className="mb-4"><AssignReleaseForm deviceId={device.id} releases={assignable} /></div>
          ) : null}
          {actions.length === 0 ? (
            <p className="text-sm text-slate-600">No update has been assigned to this device yet.</p>
          ) : (
            <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="device-actions">
              <TableHead columns={["#", "Release", "State", "Assigned", "Outcome"]} />
              <tbody className="divide-y divide-slate-100">
                {actions.map((a) => (
                  <tr key={a.id} className="align-top">
                    <td className="py-2 pr-3 font-mono text-xs">{a.id}</td>
                    <td className="py-2 pr-3"><span className="font-mono">{a.previousVersion} → {a.version}</span><div className="text-xs text-slate-600">security v{a.securityVersion}</div></td>
                    <td className="py-2 pr-3"><ActionStateBadge state={a.state} /></td>
                    <td className="py-2 pr-3 text-xs whitespace-nowrap">{formatDateTime(a.createdAt)}</td>
                    <td className="py-2 text-xs">{a.failureReason ?? (a.finishedAt ? `${ACTION_STATE_LABELS[a.state]} ${formatAgo(a.finishedAt)}` : a.lastFeedbackAt ? `last report ${formatAgo(a.lastFeedbackAt)}` : "waiting for the device")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {reports.length ? (
            <details className="mt-4 text-sm" data-testid="device-reports">
              <summary className="cursor-pointer font-medium text-brand-700">What the device reported about update #{reports[0]!.actionId} ({reports.length} latest messages)</summary>
              <ol className="mt-2 space-y-1 font-mono text-xs">
                {reports.map((r) => (
                  <li key={r.id}>
                    <span className="text-slate-600">{formatDateTime(r.receivedAt)}</span> {r.kind === "cancel" ? "cancel " : ""}{r.execution}
                    {r.finished && r.finished !== "none" ? `/${r.finished}` : ""}: {r.details.join(" · ") || "—"}
                  </li>
                ))}
              </ol>
            </details>
          ) : null}
        </section>
        <section className="card p-5" aria-labelledby="protocol">
          <h2 id="protocol" className="mb-4 text-base font-semibold">Device connection</h2>
          <dl className="space-y-3">
            <Field label="Clinical use (device-reported)">
              {updates.reported.inClinicalUse === null ? "never reported" : updates.reported.inClinicalUse ? "In use on a patient" : "Not in use"}
              {updates.reported.clinicalUseAt ? <span className="text-slate-600"> · {formatAgo(updates.reported.clinicalUseAt)}</span> : null}
            </Field>
            <Field label={`Next maintenance windows (${updates.timeZone})`}>
              {updates.nextWindows.length === 0 ? "none defined" : (
                <ul>{updates.nextWindows.map((w) => <li key={w.start.toISOString()}>{formatWindow(w.start, w.end, updates.timeZone)}</li>)}</ul>
              )}
            </Field>
            <Field label="Device token">{updates.credential ? `active, ends in …${updates.credential.hint}` : "none (the device cannot connect)"}</Field>
            {Object.keys(updates.reported.attributes).length ? (
              <Field label="Reported attributes">
                <ul className="font-mono text-xs">{Object.entries(updates.reported.attributes).map(([k, v]) => <li key={k}>{k} = {v}</li>)}</ul>
              </Field>
            ) : null}
          </dl>
          {can(user.role, "devices.credentials") ? <div className="mt-4"><TokenForms deviceId={device.id} hasToken={Boolean(updates.credential)} /></div> : null}
        </section>
      </div>

      <section className="card mt-6 p-5" aria-labelledby="health">
        <h2 id="health" className="mb-4 text-base font-semibold">Health</h2>
        <DeviceHealth deviceId={device.id} />
      </section>

      <section className="card mt-6 p-5" aria-labelledby="rollouts">
        <h2 id="rollouts" className="mb-4 text-base font-semibold">Rollouts</h2>
        {rollouts.length === 0 ? (
          <p className="text-sm text-slate-600">This device has not been part of a rollout.</p>
        ) : (
          <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="device-rollouts">
            <TableHead columns={["Rollout", "Wave", "Version", "Outcome"]} />
            <tbody className="divide-y divide-slate-100">
              {rollouts.map((r) => (
                <tr key={r.rollout_id} className="align-top">
                  <td className="py-2 pr-3">{readsRollouts ? <Link href={`/rollouts/${r.rollout_id}`} className="link">{r.name}</Link> : r.name}</td>
                  <td className="py-2 pr-3">{r.wave}</td>
                  <td className="py-2 pr-3 font-mono">{r.version}</td>
                  <td className="py-2 text-xs">
                    {r.state ? <ActionStateBadge state={r.state as DeploymentState} /> : r.skipped_reason ? <span className="text-amber-900">Skipped: {r.skipped_reason}</span> : <span className="text-slate-600">Waiting for its wave to start</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

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
