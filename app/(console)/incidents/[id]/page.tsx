import type { Metadata } from "next";
import Link from "next/link";
import { formatDateTime } from "@/components/format";
import { IncidentStatusBadge, SeverityBadge, timeToDeadline } from "@/components/incidents/badges";
import { IncidentEvidence } from "@/components/incidents/evidence";
import {
  LinkDeviceForm, NoteForm, OwnerForm, PauseRolloutForm, QuarantineButton, RevertRolloutForm, SeverityForm, SignOffForm, StatusForms, UnlinkDeviceButton,
} from "@/components/incidents/forms";
import { StatusStepper } from "@/components/incidents/stepper";
import { IncidentTimeline } from "@/components/incidents/timeline";
import { Section } from "@/components/releases/section";
import { TableHead } from "@/components/table";
import { BackLink, Badge, Field } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { DEVICE_STATUS_LABELS, INCIDENT_SOURCE_LABELS, ROLE_LABELS } from "@/lib/domain";
import { orNotFound } from "@/lib/pages";
import { incidentDetail, incidentOwners } from "@/lib/services/incidents/queries";
import { listReleases } from "@/lib/services/releases/queries";

export const metadata: Metadata = { title: "Incident" };

export default async function IncidentPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePagePermission("incidents.read", "/incidents/[id]");
  const ctx = await requestCtx();
  const { id } = await params;
  const detail = await orNotFound(incidentDetail(ctx, { incidentId: id }));
  const { incident } = detail;
  const now = new Date(detail.now);
  const open = incident.status === "triage" || incident.status === "contained";
  const closed = incident.status === "lessons_learned";
  const canManage = can(user.role, "incidents.manage");
  const canContain = can(user.role, "rollouts.manage") && !closed;
  const canSignOff = can(user.role, "incidents.signoff") && open && incident.rolloutId !== null && !incident.signedOffAt;
  const [owners, knownGood] = await Promise.all([
    canManage && !closed ? incidentOwners(ctx, {}) : Promise.resolve([]),
    canContain && detail.rolloutModelId
      ? listReleases(ctx, { state: "approved", modelId: detail.rolloutModelId }).then((rs) => rs.filter((r) => r.id !== detail.rolloutReleaseId))
      : Promise.resolve([]),
  ]);

  return (
    <>
      <BackLink href="/incidents">Incidents</BackLink>
      <div className="mb-2 flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold text-slate-900">#{incident.id} {incident.title}</h1>
        <SeverityBadge severity={incident.severity} />
        <span data-testid="incident-status"><IncidentStatusBadge status={incident.status} /></span>
      </div>
      <p className="mb-4 text-sm text-slate-600">
        {INCIDENT_SOURCE_LABELS[incident.source]} · opened by {detail.openedByName ?? "Corridor"} · {formatDateTime(incident.createdAt)}
      </p>
      <div className="mb-6"><StatusStepper status={incident.status} /></div>

      <section className="card mb-6 p-5" aria-labelledby="summary-heading">
        <h2 id="summary-heading" className="sr-only">Summary</h2>
        <p className="mb-4 text-sm whitespace-pre-line text-slate-900">{incident.description}</p>
        <dl className="grid grid-cols-2 gap-4 md:grid-cols-4">
          <Field label="Owner">{detail.ownerName ?? "Nobody yet"}</Field>
          <Field label="Escalation">{incident.escalationLevel === 0 ? "Not escalated" : `Level ${incident.escalationLevel}`}</Field>
          <Field label="Deadline">
            {incident.escalationDueAt ? `${timeToDeadline(incident.escalationDueAt, now)} (${formatDateTime(incident.escalationDueAt)})` : incident.status === "triage" ? "No further deadline" : "Stopped (contained)"}
          </Field>
          <Field label="Rollout">
            {incident.rolloutId ? <Link href={`/rollouts/${incident.rolloutId}`} className="link">{detail.rolloutName}</Link> : "None"}
            {detail.rolloutState ? <span className="text-slate-600"> ({detail.rolloutState})</span> : null}
          </Field>
          <Field label="Release">{incident.releaseId ? <Link href={`/releases/${incident.releaseId}`} className="link font-mono">{detail.releaseVersion}</Link> : "None"}</Field>
          <Field label="Sign-off">{incident.signedOffAt ? `${incident.signedOffName}, ${formatDateTime(incident.signedOffAt)}` : incident.rolloutId && open ? "Not signed off: the rollout waits" : "—"}</Field>
          <Field label="Resolved">{formatDateTime(incident.resolvedAt)}</Field>
          <Field label="Last change">{formatDateTime(incident.updatedAt)}</Field>
        </dl>
        {incident.signOffReason ? <p className="mt-4 text-sm text-slate-700"><span className="font-medium">Sign-off reason:</span> {incident.signOffReason}</p> : null}
        {incident.verification ? <p className="mt-2 text-sm text-slate-700"><span className="font-medium">How the fix was verified:</span> {incident.verification}</p> : null}
        {incident.lessonsLearned ? <p className="mt-2 text-sm text-slate-700"><span className="font-medium">Lessons learned:</span> {incident.lessonsLearned}</p> : null}
      </section>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Section id="devices" title="Devices" description="Devices linked to this incident.">
            {detail.devices.length === 0 ? (
              <p className="text-sm text-slate-600">No device is linked.</p>
            ) : (
              <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="incident-devices">
                <TableHead columns={["Serial", "Model", "Unit", "Firmware", "State", ""]} />
                <tbody className="divide-y divide-slate-100">
                  {detail.devices.map((d) => (
                    <tr key={d.id} className="align-top">
                      <td className="px-4 py-1.5"><Link href={`/inventory/${d.id}`} className="link font-mono">{d.serial}</Link></td>
                      <td className="px-4 py-1.5">{d.model}</td>
                      <td className="px-4 py-1.5">{d.unit}</td>
                      <td className="px-4 py-1.5 font-mono">{d.firmwareVersion}</td>
                      <td className="px-4 py-1.5">{d.status === "quarantined" ? <Badge tone="red">{DEVICE_STATUS_LABELS[d.status]}</Badge> : DEVICE_STATUS_LABELS[d.status]}</td>
                      <td className="space-y-1 px-4 py-1.5">
                        {canContain && d.status !== "quarantined" ? <QuarantineButton incidentId={incident.id} deviceId={d.id} serial={d.serial} /> : null}
                        {canManage && !closed ? <UnlinkDeviceButton incidentId={incident.id} deviceId={d.id} serial={d.serial} /> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {canManage && !closed ? <div className="mt-4 max-w-md"><LinkDeviceForm incidentId={incident.id} /></div> : null}
          </Section>

          <Section id="evidence" title="Evidence" description="What Corridor recorded when it opened this incident.">
            <IncidentEvidence evidence={incident.evidence} />
          </Section>

          <Section id="notified" title="Who was told" description="In-app notifications sent about this incident, newest first.">
            {detail.notifications.length === 0 ? (
              <p className="text-sm text-slate-600">Nobody has been notified.</p>
            ) : (
              <div className="max-h-80 overflow-y-auto" tabIndex={0} role="region" aria-label="Notifications sent (scrollable)">
                <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="incident-notifications">
                  <TableHead columns={["Person", "Message", "Sent", "Read"]} />
                  <tbody className="divide-y divide-slate-100">
                    {detail.notifications.map((n) => (
                      <tr key={n.id}>
                        <td className="px-4 py-1.5">{n.userName} <span className="text-xs text-slate-600">({ROLE_LABELS[n.role]})</span></td>
                        <td className="px-4 py-1.5">{n.title}</td>
                        <td className="px-4 py-1.5 text-xs whitespace-nowrap">{formatDateTime(n.createdAt)}</td>
                        <td className="px-4 py-1.5 text-xs whitespace-nowrap">{n.readAt ? formatDateTime(n.readAt) : "Not yet"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
        </div>

        <div className="space-y-6">
          {canManage ? (
            <section className="card space-y-5 p-5" aria-labelledby="next-heading" data-testid="incident-next-step">
              <h2 id="next-heading" className="text-base font-semibold">Next step</h2>
              <StatusForms incidentId={incident.id} status={incident.status} />
            </section>
          ) : null}
          {canSignOff ? (
            <section className="card p-5" aria-labelledby="signoff-heading">
              <h2 id="signoff-heading" className="mb-3 text-base font-semibold">Let the rollout go on</h2>
              <SignOffForm incidentId={incident.id} printedName={user.name} />
            </section>
          ) : null}
          {canContain && incident.rolloutId ? (
            <section className="card space-y-5 p-5" aria-labelledby="contain-heading" data-testid="containment">
              <h2 id="contain-heading" className="text-base font-semibold">Contain</h2>
              {detail.rolloutState === "running" ? <PauseRolloutForm incidentId={incident.id} /> : <p className="text-sm text-slate-700">The rollout is {detail.rolloutState}; only a running rollout can be paused.</p>}
              <details className="border-t border-slate-200 pt-4">
                <summary className="cursor-pointer text-sm font-medium text-slate-900">Revert updated devices to a known-good release</summary>
                <div className="mt-3"><RevertRolloutForm incidentId={incident.id} releases={knownGood} /></div>
              </details>
            </section>
          ) : null}
          {canManage && !closed ? (
            <section className="card space-y-5 p-5" aria-labelledby="manage-heading">
              <h2 id="manage-heading" className="text-base font-semibold">Owner and severity</h2>
              <OwnerForm incidentId={incident.id} ownerId={incident.ownerId} owners={owners} />
              <div className="border-t border-slate-200 pt-4"><SeverityForm incidentId={incident.id} severity={incident.severity} /></div>
            </section>
          ) : null}
          <Section id="timeline" title="Timeline" description="Every change to this incident, newest first.">
            {canManage ? <div className="mb-4"><NoteForm incidentId={incident.id} /></div> : null}
            <IncidentTimeline events={detail.timeline} />
          </Section>
        </div>
      </div>
    </>
  );
}
