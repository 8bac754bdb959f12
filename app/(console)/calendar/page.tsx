import type { Metadata } from "next";
import Link from "next/link";
import { AddBlackoutForm, RemoveBlackoutButton } from "@/components/calendar/blackout-forms";
import { blackoutOn, dayStrip, type Blackout } from "@/components/calendar/day-strip";
import { toEditable } from "@/components/calendar/rules";
import { DayHeader, DayStrip, nextWindowText, RuleList, StatusBadge, type UnitStatus } from "@/components/calendar/unit-row";
import { WindowEditor, type WindowSets } from "@/components/calendar/window-editor";
import { formatDateTime } from "@/components/format";
import { StartFreezeButton } from "@/components/freeze/freeze-controls";
import { TableHead } from "@/components/table";
import { EmptyState, PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { localDate } from "@/lib/services/safety/install-gate";
import { deviceFilterOptions } from "@/lib/services/inventory/list-devices";
import { activeFreeze, maintenanceCalendar } from "@/lib/services/rollouts/queries";

export const metadata: Metadata = { title: "Maintenance calendar" };

const DAYS = 7;

type Params = Record<string, string | string[] | undefined>;

/** Stored windows grouped into the sets the editor switches between (every model, or one model). */
function editableSets(rows: { modelId: number | null; label: string | null; rrule: string; startsAt: string; durationMinutes: number }[]): WindowSets {
  const keys = [...new Set(rows.map((r) => r.modelId))];
  return keys.map((modelId) => ({ modelId, windows: rows.filter((r) => r.modelId === modelId).map(toEditable) }));
}

function formatDay(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(new Date(Date.UTC(y, m - 1, d)));
}

export default async function CalendarPage({ searchParams }: { searchParams: Promise<Params> }) {
  const user = await requirePagePermission("rollouts.read", "/calendar");
  const ctx = await requestCtx();
  const params = await searchParams;
  const siteParam = typeof params.site === "string" ? Number(params.site) : NaN;
  // Sites and units for the filter and the blackout scopes; the calendar itself only for the chosen site.
  const options = await deviceFilterOptions(ctx, undefined);
  const sites = options.sites.map((s) => ({ id: s.id, name: s.name, units: options.units.filter((u) => u.siteId === s.id).map((u) => ({ id: u.id, name: u.name })) }));
  const selected = sites.find((s) => s.id === siteParam) ?? null;
  const [shown, freeze] = await Promise.all([
    maintenanceCalendar(ctx, { siteId: selected?.id, count: 14 }),
    activeFreeze(ctx, {}),
  ]);
  const canEdit = can(user.role, "windows.manage");
  const canFreeze = can(user.role, "freeze.manage");
  const now = new Date();

  // Each blackout once, with where it applies.
  const siteById = new Map(sites.map((s) => [s.id, s]));
  const unitById = new Map(options.units.map((u) => [u.id, { name: u.name, site: siteById.get(u.siteId)?.name ?? "?" }]));
  const blackouts = [...new Map(shown.flatMap((u) => u.blackouts).map((b) => [b.id, b])).values()].sort((a, b) => a.startsOn.localeCompare(b.startsOn) || a.id - b.id);
  const scopeOf = (b: (typeof blackouts)[number]) =>
    b.unitId ? `${unitById.get(b.unitId)?.name ?? "Unknown unit"} (${unitById.get(b.unitId)?.site ?? "?"})` : b.siteId ? `All of ${siteById.get(b.siteId)?.name ?? "a site"}` : "Everywhere";
  // The earliest "today" of any zone shown (date inputs cannot know each unit's zone).
  const earliestToday = [...new Set(shown.map((u) => localDate(now, u.timeZone)))].sort()[0] ?? localDate(now, "UTC");

  const groups = (selected ? [selected] : sites).filter((site) => shown.some((u) => u.siteId === site.id)).map((site) => ({
    site,
    units: shown
      .filter((u) => u.siteId === site.id)
      .map((u) => {
        const own: Blackout[] = u.blackouts.map((b) => ({ id: b.id, startsOn: b.startsOn, endsOn: b.endsOn, reason: b.reason }));
        const today = localDate(now, u.timeZone);
        const strip = dayStrip(u.windows, u.timeZone, own, now, DAYS);
        const blackoutToday = blackoutOn(today, own);
        const status: UnitStatus =
          u.windows.length === 0 ? { kind: "none" }
          : freeze ? { kind: "frozen" }
          : blackoutToday ? { kind: "blackout", reason: blackoutToday.reason }
          : strip.openUntil ? { kind: "open", until: strip.openUntil, continuous: strip.openUntil.getTime() - now.getTime() > 86_400_000 }
          : { kind: "closed" };
        return {
          ...u,
          status,
          strip: strip.days,
          nextText: nextWindowText(u.next, u.timeZone, own, (d) => localDate(d, u.timeZone), now),
        };
      }),
  }));

  return (
    <div className="space-y-8">
      <PageHeader
        title="Maintenance calendar"
        description="Devices install updates only inside their unit's maintenance window, never on a blackout day, never during a freeze, and never while in use on a patient. Windows and days are each unit's local time."
      />

      <section aria-labelledby="freeze-heading" className={`card flex flex-wrap items-center justify-between gap-4 px-5 py-4 ${freeze ? "border-red-300 bg-red-50" : ""}`}>
        <div>
          <h2 id="freeze-heading" className="text-base font-semibold text-slate-900">Global freeze</h2>
          {freeze ? (
            <p className="text-sm text-red-900">
              In force since {formatDateTime(freeze.startedAt)} by {freeze.startedBy ?? "the system"}: {freeze.reason}. No device is offered an update.
            </p>
          ) : (
            <p className="text-sm text-slate-600">None in force. A freeze stops every update offer at every site at once, until someone ends it.</p>
          )}
        </div>
        {canFreeze && !freeze ? <StartFreezeButton /> : null}
      </section>

      <nav aria-label="Sites" className="flex flex-wrap gap-2">
        {[{ id: null as number | null, name: "All sites" }, ...sites].map((s) => {
          const active = (selected?.id ?? null) === s.id;
          return (
            <Link
              key={s.id ?? "all"}
              href={s.id === null ? "/calendar" : `/calendar?site=${s.id}`}
              aria-current={active ? "page" : undefined}
              className={`rounded-full border px-3 py-1 text-sm font-medium ${active ? "border-brand-700 bg-brand-700 text-white" : "border-slate-300 bg-white text-slate-800 hover:bg-slate-100"}`}
            >
              {s.name}
            </Link>
          );
        })}
      </nav>

      {groups.length === 0 ? <EmptyState title="No units yet">Units and their windows appear here once sites are set up.</EmptyState> : null}

      <div className="flex flex-wrap items-center gap-4 text-xs text-slate-600" aria-hidden>
        <span className="inline-flex items-center gap-1"><span className="inline-block h-3 w-5 rounded-sm bg-emerald-500" /> window (bar = 00:00 to 24:00 local)</span>
        <span className="inline-flex items-center gap-1"><span className="inline-block h-3 w-5 rounded-sm border border-red-300 bg-[repeating-linear-gradient(135deg,#fecaca_0,#fecaca_4px,#fff1f2_4px,#fff1f2_8px)]" /> blackout day</span>
        <span className="inline-flex items-center gap-1"><span className="inline-block h-3 w-0.5 bg-slate-900" /> now</span>
      </div>

      {groups.map(({ site, units }) => {
        const headerZone = units[0]?.timeZone;
        return (
          <section key={site.id} aria-labelledby={`site-${site.id}`} className="card overflow-hidden" data-testid="calendar-site">
            <div className="grid grid-cols-[minmax(16rem,22rem)_minmax(0,1fr)] items-end gap-4 border-b border-slate-200 bg-slate-50 px-5 py-3">
              <div>
                <h2 id={`site-${site.id}`} className="text-base font-semibold text-slate-900">{site.name}</h2>
                {headerZone ? <p className="text-xs text-slate-600">{headerZone}</p> : null}
                {canEdit && units[0] ? (
                  <details className="mt-1">
                    <summary className="link cursor-pointer text-sm">Site-wide windows<span className="sr-only"> of {site.name}</span></summary>
                    <div className="mt-3">
                      <WindowEditor scope={{ siteId: site.id }} ownerName={site.name} timeZone={units[0].timeZone} sets={editableSets(units[0].siteSets)} models={options.models} />
                    </div>
                  </details>
                ) : null}
              </div>
              {units[0] ? <DayHeader days={units[0].strip} /> : null}
            </div>
            <ul className="divide-y divide-slate-200">
              {units.map((u) => (
                <li key={u.id} className="px-5 py-3" data-testid="calendar-unit">
                  <div className="grid grid-cols-[minmax(16rem,22rem)_minmax(0,1fr)] gap-4">
                    <div className="min-w-0 space-y-1">
                      <div className="flex flex-wrap items-center gap-2">
                        <h3 id={`unit-${u.id}`} className="font-medium text-slate-900">{u.name}</h3>
                        <StatusBadge status={u.status} timeZone={u.timeZone} />
                      </div>
                      <RuleList windows={u.windows} timeZone={u.timeZone} />
                      {u.fromSite ? <p className="text-xs text-slate-600">Site-wide windows (the unit has none of its own).</p> : null}
                      {u.modelWindows.map((m) => (
                        <div key={m.modelId} className="text-xs text-slate-700">
                          <p className="font-medium">Only {m.model}:</p>
                          <RuleList windows={m.windows} timeZone={u.timeZone} />
                        </div>
                      ))}
                      {u.windows.length && u.status.kind !== "open" ? <p className="text-xs text-slate-600">Next window: {u.nextText}</p> : null}
                    </div>
                    <DayStrip days={u.strip} unitName={u.name} showDates={u.timeZone !== headerZone} />
                  </div>
                  {canEdit ? (
                    <details className="group mt-2">
                      <summary className="link cursor-pointer text-sm">Edit windows<span className="sr-only"> of {u.name}</span></summary>
                      <div className="mt-3">
                        <WindowEditor scope={{ unitId: u.id }} ownerName={u.name} timeZone={u.timeZone} sets={editableSets(u.unitSets)} models={options.models} />
                      </div>
                    </details>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
        );
      })}

      <section aria-labelledby="blackouts-heading" className="space-y-4">
        <div>
          <h2 id="blackouts-heading" className="text-lg font-semibold text-slate-900">Blackout days</h2>
          <p className="text-sm text-slate-600">Days on which nothing installs, for one unit, a whole site or everywhere{selected ? ` (showing those that apply to ${selected.name})` : ""}.</p>
        </div>
        <div className="card overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="blackout-rows">
            <caption className="sr-only">Current and coming blackout days</caption>
            <TableHead columns={["Applies to", "From", "To", "Reason", ...(canEdit ? [<span key="a" className="sr-only">Actions</span>] : [])]} />
            <tbody className="divide-y divide-slate-200">
              {blackouts.length === 0 ? (
                <tr>
                  <td colSpan={canEdit ? 5 : 4} className="px-4 py-6 text-center text-slate-600">No blackout days ahead.</td>
                </tr>
              ) : (
                blackouts.map((b) => (
                  <tr key={b.id}>
                    <td className="px-4 py-2">{scopeOf(b)}</td>
                    <td className="px-4 py-2 whitespace-nowrap">{formatDay(b.startsOn)}</td>
                    <td className="px-4 py-2 whitespace-nowrap">{formatDay(b.endsOn)}</td>
                    <td className="px-4 py-2">{b.reason}</td>
                    {canEdit ? (
                      <td className="px-4 py-2">
                        <RemoveBlackoutButton blackoutId={b.id} description={`${scopeOf(b)}, ${b.startsOn} to ${b.endsOn}, ${b.reason}`} />
                      </td>
                    ) : null}
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        {canEdit ? (
          <div className="card p-5">
            <h3 className="mb-3 font-semibold text-slate-900">Add a blackout</h3>
            <AddBlackoutForm sites={sites} today={earliestToday} />
          </div>
        ) : null}
      </section>
    </div>
  );
}
