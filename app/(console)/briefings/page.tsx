import type { Metadata } from "next";
import Link from "next/link";
import { AcknowledgeUnit, ReportProblemForm } from "@/components/briefings/briefing-forms";
import { BriefingText, CoverageTable, ProblemReports } from "@/components/briefings/briefing-view";
import { formatCount, formatDateTime } from "@/components/format";
import { Badge, EmptyState, PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { RISK_CLASS_LABELS } from "@/lib/domain";
import { briefingCoverage, listBriefings, problemReportsFor } from "@/lib/services/releases/briefings";

export const metadata: Metadata = { title: "Briefings" };

type Item = Awaited<ReturnType<typeof listBriefings>>["items"][number];

export default async function BriefingsPage() {
  const user = await requirePagePermission("briefings.read", "/briefings");
  const ctx = await requestCtx();
  const { assignedUnits, items } = await listBriefings(ctx, {});

  if (user.role === "clinician") {
    // Briefings still waiting for an acknowledgement come first.
    const sorted = [...items].sort((a, b) => pending(b) - pending(a));
    return (
      <>
        <PageHeader
          title="Briefings"
          description="What changes for you and your patients after a device update. Read each briefing, then acknowledge it for every unit you work in."
        />
        {assignedUnits.length === 0 ? (
          <EmptyState title="You are not assigned to a unit yet">
            <p>Briefings are shown for the units you work in. Ask your administrator to add the units you work in to your account.</p>
          </EmptyState>
        ) : items.length === 0 ? (
          <EmptyState title="No briefings for your units">
            <p>No device update that changes anything at the bedside has been approved for your units. New briefings appear here.</p>
          </EmptyState>
        ) : (
          <>
            <BriefingContents items={sorted} />
            <div className="space-y-8">
              {sorted.map((item) => (
                <ClinicianBriefing key={item.release.id} item={item} canAcknowledge={can(user.role, "briefings.acknowledge")} canReport={can(user.role, "briefings.report")} />
              ))}
            </div>
          </>
        )}
      </>
    );
  }

  const showCoverage = can(user.role, "acknowledgements.read");
  const linkReleases = can(user.role, "releases.read");
  const [coverage, reports] = showCoverage
    ? await Promise.all([
        Promise.all(items.map((i) => briefingCoverage(ctx, { releaseId: i.release.id }))),
        Promise.all(items.map((i) => problemReportsFor(ctx, { releaseId: i.release.id }))),
      ])
    : [[], []];
  return (
    <>
      <PageHeader
        title="Briefings"
        description={
          showCoverage
            ? "Plain-language briefings of approved releases, as clinicians see them, and how many clinicians in each unit have acknowledged the current text."
            : "Plain-language briefings of approved releases, as clinicians see them."
        }
      />
      {items.length === 0 ? (
        <EmptyState title="No current briefings">
          <p>Briefings appear here once a release that has a briefing is approved.</p>
        </EmptyState>
      ) : (
        <div className="space-y-6">
          {items.map((item, i) => {
            const title = `${item.modelName} ${item.release.version}`;
            const rows = coverage[i] ?? [];
            const problems = reports[i] ?? [];
            const clinicians = rows.reduce((n, r) => n + r.clinicians, 0);
            const acknowledged = rows.reduce((n, r) => n + r.acknowledged, 0);
            return (
              <article key={item.release.id} className="card p-5" aria-labelledby={`briefing-${item.release.id}`} data-testid="briefing">
                <BriefingHeader item={item} link={linkReleases} />
                {showCoverage ? (
                  <section className="mt-4" aria-labelledby={`coverage-${item.release.id}`}>
                    <h3 id={`coverage-${item.release.id}`} className="mb-2 text-sm font-semibold text-slate-900">
                      Acknowledgement coverage{" "}
                      <span className="font-normal text-slate-600">
                        · {acknowledged} of {clinicians} clinician{clinicians === 1 ? "" : "s"} across {rows.length} unit{rows.length === 1 ? "" : "s"}
                      </span>
                    </h3>
                    <div className="overflow-x-auto rounded-md border border-slate-200">
                      <CoverageTable rows={rows} caption={`Acknowledgement coverage for ${title}`} />
                    </div>
                  </section>
                ) : null}
                {problems.length ? (
                  <details className="mt-4 text-sm">
                    <summary className="cursor-pointer font-medium text-red-800">
                      {problems.length} problem report{problems.length === 1 ? "" : "s"} from clinicians
                      {problems.some((p) => p.patientHarm) ? " (including patient harm or near harm)" : ""}
                    </summary>
                    <div className="mt-2"><ProblemReports reports={problems} /></div>
                  </details>
                ) : null}
                <details className="mt-4">
                  <summary className="cursor-pointer text-sm font-medium text-brand-700">Read the briefing as clinicians see it</summary>
                  <div className="mt-3 rounded-md border border-slate-200 p-4">
                    <BriefingText briefing={item.briefing} headingLevel={4} />
                  </div>
                </details>
              </article>
            );
          })}
        </div>
      )}
    </>
  );
}

const pending = (item: Item) => (item.units.some((u) => !u.acknowledgedAt) ? 1 : 0);

/** A short list at the top: what is new, and for how many of your units it still needs acknowledging. */
function BriefingContents({ items }: { items: Item[] }) {
  if (items.length < 2) return null;
  return (
    <nav aria-label="Briefings on this page" className="card mb-6 px-5 py-4">
      <ul className="space-y-1 text-base">
        {items.map((item) => {
          const left = item.units.filter((u) => !u.acknowledgedAt).length;
          return (
            <li key={item.release.id} className="flex flex-wrap items-center gap-2">
              <a href={`#briefing-${item.release.id}`} className="link">{item.modelName}, version {item.release.version}</a>
              {left ? <Badge tone="amber">{left === item.units.length ? "Not acknowledged yet" : `${left} of ${item.units.length} units to acknowledge`}</Badge> : <Badge tone="green">Acknowledged</Badge>}
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function BriefingHeader({ item, link }: { item: Item; link: boolean }) {
  const { release, briefing } = item;
  return (
    <div className="flex flex-wrap items-start justify-between gap-3">
      <div>
        <h2 id={`briefing-${release.id}`} className="text-lg font-semibold text-slate-900">
          {item.modelName} <span className="font-mono">{release.version}</span>
        </h2>
        <p className="mt-0.5 text-xs text-slate-600">
          Approved {formatDateTime(release.stateChangedAt)} · briefing updated {formatDateTime(briefing.updatedAt)} · reading level grade {briefing.readingGrade.toFixed(1)}
          {" · "}
          {formatCount(item.units.reduce((n, u) => n + u.devices, 0))} devices in {item.units.length} unit{item.units.length === 1 ? "" : "s"}
        </p>
      </div>
      <div className="flex items-center gap-3">
        <Badge tone={release.riskClass === "routine" ? "slate" : "amber"}>{RISK_CLASS_LABELS[release.riskClass]}</Badge>
        {link ? <Link href={`/releases/${release.id}`} className="link text-sm">Open release</Link> : null}
      </div>
    </div>
  );
}

/** A clinician's view: the whole text first, then acknowledge per unit, then report a problem. */
function ClinicianBriefing({ item, canAcknowledge, canReport }: { item: Item; canAcknowledge: boolean; canReport: boolean }) {
  const { release, briefing } = item;
  const title = `${item.modelName} ${release.version}`;
  const units = item.units.map((u) => ({ id: u.unitId, name: u.unitName }));
  return (
    <article className="card overflow-hidden" aria-labelledby={`briefing-${release.id}`} data-testid="briefing">
      <header className="border-b border-slate-200 bg-brand-50 px-6 py-4">
        <p className="text-sm font-medium text-brand-800">Device update</p>
        <h2 id={`briefing-${release.id}`} className="scroll-mt-4 text-2xl font-semibold text-slate-900">
          {item.modelName}, version {release.version}
        </h2>
        <p className="mt-1 text-sm text-slate-700">
          Approved {formatDateTime(release.stateChangedAt)} · used in your units: {units.map((u) => u.name).join(", ")}
        </p>
      </header>
      <div className="px-6 py-5">
        <BriefingText briefing={briefing} />
      </div>
      {canAcknowledge ? (
        <section className="border-t border-slate-200 px-6 py-5" aria-labelledby={`ack-${release.id}`}>
          <h3 id={`ack-${release.id}`} className="text-lg font-semibold text-slate-900">Acknowledge</h3>
          <p className="mt-1 mb-3 text-sm text-slate-700">Once you have read the whole briefing, acknowledge it for each unit you work in.</p>
          <div className="flex flex-wrap gap-3">
            {item.units.map((u) => (
              <AcknowledgeUnit
                key={u.unitId}
                releaseId={release.id}
                unit={{ id: u.unitId, name: u.unitName }}
                acknowledgedAt={u.acknowledgedAt ? formatDateTime(u.acknowledgedAt) : null}
              />
            ))}
          </div>
        </section>
      ) : null}
      {canReport ? (
        <details className="group border-t border-slate-200 bg-slate-50 px-6 py-4" data-testid="report-problem">
          <summary className="cursor-pointer text-lg font-semibold text-slate-900">
            Report a problem after this update
          </summary>
          <p className="mt-2 mb-4 max-w-3xl text-sm text-slate-700">
            Something not working as described, or not as before? Tell clinical engineering here. This does not replace your unit&apos;s urgent procedure.
          </p>
          <ReportProblemForm releaseId={release.id} title={title} units={units} />
        </details>
      ) : null}
    </article>
  );
}
