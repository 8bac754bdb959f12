import type { Metadata } from "next";
import { formatDateTime } from "@/components/format";
import { UnlockSigningButton, UserUnitsForm } from "@/components/settings/account-forms";
import { IncidentSettingsSection } from "@/components/settings/incident-settings-section";
import { PolicyEditor } from "@/components/settings/policy-editor";
import { HealthSettingsSection } from "@/components/settings/health-settings-section";
import { PinKeyForm, RetireKeyForm } from "@/components/settings/vendor-keys";
import { Badge, PageHeader } from "@/components/ui";
import { CreateUserForm, UserRowControls } from "@/components/user-forms";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { ROLE_LABELS } from "@/lib/domain";
import { deviceFilterOptions } from "@/lib/services/inventory/list-devices";
import { listPolicies } from "@/lib/services/releases/policies";
import { SIGNING_FAILURE_LIMIT } from "@/lib/services/releases/signatures";
import { listManufacturers, listVendorKeys } from "@/lib/services/releases/vendor-keys";
import { listUsers } from "@/lib/services/users/manage-users";
import { signingLocks, userUnitAssignments } from "@/lib/services/users/signing-status";
import { TableHead } from "@/components/table";

export const metadata: Metadata = { title: "Settings" };

/** Server-rendered per request, so "now" is the time of this request. */
const isPast = (d: Date) => d.getTime() < Date.now();

const none = <T,>(): Promise<T[]> => Promise.resolve([]);

export default async function SettingsPage() {
  const me = await requirePagePermission("settings.read", "/settings");
  const ctx = await requestCtx();
  const managePolicies = can(me.role, "policies.manage");
  const manageKeys = can(me.role, "vendor_keys.manage");
  const manageUsers = can(me.role, "users.manage");
  const [users, places, locked, assignments, policies, keys, manufacturers] = await Promise.all([
    listUsers(ctx, {}),
    deviceFilterOptions(ctx, undefined),
    signingLocks(ctx, {}),
    userUnitAssignments(ctx, {}),
    managePolicies ? listPolicies(ctx, {}) : none<Awaited<ReturnType<typeof listPolicies>>[number]>(),
    manageKeys ? listVendorKeys(ctx, {}) : none<Awaited<ReturnType<typeof listVendorKeys>>[number]>(),
    manageKeys ? listManufacturers(ctx, {}) : none<{ id: number; name: string }>(),
  ]);
  const lockedIds = new Set(locked);
  const unitsOf = (userId: number) => assignments.filter((a) => a.userId === userId).map((a) => a.unitId);
  const placeList = { sites: places.sites, units: places.units };

  return (
    <>
      <PageHeader
        title="Settings"
        description="Accounts and roles, approval policies and vendor signing keys. Accounts are never deleted, only disabled, so every name in the audit trail stays traceable. Disabling an account or changing its role ends its sessions at once."
      />
      <nav aria-label="Settings sections" className="mb-6 flex flex-wrap gap-x-4 gap-y-1 text-sm">
        <a href="#accounts" className="link">Accounts</a>
        {managePolicies ? <a href="#policies" className="link">Approval policies</a> : null}
        {manageKeys ? <a href="#vendor-keys" className="link">Vendor signing keys</a> : null}
        <a href="#sites" className="link">Sites and units</a>
      </nav>
      <section className="card mb-6 p-5" aria-labelledby="new-user">
        <h2 id="new-user" className="mb-4 text-base font-semibold">New account</h2>
        <CreateUserForm />
      </section>
      <section className="card mb-6 overflow-x-auto" aria-labelledby="accounts">
        <h2 id="accounts" className="px-5 pt-5 text-base font-semibold">Accounts</h2>
        <p className="px-5 pt-1 text-sm text-slate-600">
          Clinicians see briefings only for the units they work in. Signing locks after {SIGNING_FAILURE_LIMIT} wrong signing passwords in a row until an administrator unlocks it.
        </p>
        <table className="mt-3 min-w-full divide-y divide-slate-200 text-sm">
          <TableHead columns={["Account", "Role", "State", "Units (clinicians)", "Last sign-in", "Change"]} />
          <tbody className="divide-y divide-slate-100" data-testid="user-rows">
            {users.map((u) => {
              const isLocked = lockedIds.has(u.id);
              return (
                <tr key={u.id} className="align-top">
                  <td className="min-w-36 px-4 py-2">
                    <div className="font-medium">{u.displayName}</div>
                    <div className="font-mono text-xs text-slate-600">{u.username}</div>
                  </td>
                  <td className="px-4 py-2">{ROLE_LABELS[u.role]}</td>
                  <td className="px-4 py-2">
                    <div className="flex flex-col items-start gap-1">
                      {u.active ? <Badge tone="green">Active</Badge> : <Badge>Disabled</Badge>}
                      {isLocked ? <Badge tone="red">Signing locked</Badge> : null}
                    </div>
                  </td>
                  <td className="px-4 py-2">
                    {u.role === "clinician" ? (
                      manageUsers ? <UserUnitsForm user={u} assigned={unitsOf(u.id)} places={placeList} /> : <UnitNames ids={unitsOf(u.id)} places={placeList} />
                    ) : (
                      <span className="text-xs text-slate-500">—</span>
                    )}
                  </td>
                  <td className="px-4 py-2 text-xs whitespace-nowrap text-slate-600">{formatDateTime(u.lastLoginAt)}</td>
                  <td className="px-4 py-2">
                    <div className="flex flex-col items-start gap-2">
                      <UserRowControls user={u} self={u.id === me.userId} />
                      {isLocked && manageUsers ? <UnlockSigningButton user={u} /> : null}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      {managePolicies ? (
        <section className="card mb-6 p-5" aria-labelledby="policies">
          <h2 id="policies" className="text-base font-semibold">Approval policies</h2>
          <p className="mt-1 mb-4 max-w-3xl text-sm text-slate-600">
            Who must sign a release before it can be deployed, by how critical the device is and what kind of release it is. The person who submitted a release can never sign its approval, and one person counts once, however many signatures they make.
          </p>
          <PolicyEditor policies={policies} />
        </section>
      ) : null}

      {manageKeys ? (
        <section className="card mb-6 p-5" aria-labelledby="vendor-keys">
          <h2 id="vendor-keys" className="text-base font-semibold">Vendor signing keys</h2>
          <p className="mt-1 mb-4 max-w-3xl text-sm text-slate-600">
            A firmware package is trusted only if it is signed with one of its manufacturer&apos;s current keys. Retired keys stay listed so older releases can still be traced.
          </p>
          {keys.length === 0 ? (
            <p className="mb-4 text-sm text-slate-600" data-testid="vendor-key-rows">No key is pinned yet: no package can be verified until one is.</p>
          ) : (
            <div className="mb-6 overflow-x-auto rounded-md border border-slate-200">
              <table className="min-w-full divide-y divide-slate-200 text-sm">
                <TableHead columns={["Manufacturer", "Label", "Kind", "Subject", "Fingerprint (SHA-256)", "Expires", "Pinned", "State"]} />
                <tbody className="divide-y divide-slate-100" data-testid="vendor-key-rows">
                  {keys.map((k) => (
                    <tr key={k.id} className={`align-top ${k.retiredAt ? "text-slate-500" : ""}`}>
                      <td className="px-4 py-2">{k.manufacturer}</td>
                      <td className="px-4 py-2 font-medium">{k.label}</td>
                      <td className="px-4 py-2 whitespace-nowrap">{k.kind === "x509" ? "X.509" : "Ed25519"}</td>
                      <td className="max-w-64 px-4 py-2 text-xs break-words">{k.subject}</td>
                      <td className="px-4 py-2 font-mono text-xs" title={k.fingerprintSha256}>
                        {k.fingerprintSha256.slice(0, 16)}…<span className="sr-only"> (full: {k.fingerprintSha256})</span>
                      </td>
                      <td className="px-4 py-2 text-xs whitespace-nowrap">
                        {k.notAfter ? formatDateTime(k.notAfter).slice(0, 10) : "no expiry"}
                        {k.notAfter && isPast(k.notAfter) ? <span className="ml-1"><Badge tone="red">Expired</Badge></span> : null}
                      </td>
                      <td className="px-4 py-2 text-xs whitespace-nowrap">{formatDateTime(k.createdAt)}</td>
                      <td className="px-4 py-2">
                        {k.retiredAt ? (
                          <span className="text-xs">Retired {formatDateTime(k.retiredAt).slice(0, 10)}</span>
                        ) : (
                          <div className="flex flex-col items-start gap-1">
                            <Badge tone="green">Current</Badge>
                            <RetireKeyForm keyId={k.id} label={k.label} />
                          </div>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3 className="mb-3 text-sm font-semibold text-slate-900">Pin a key</h3>
          <PinKeyForm manufacturers={manufacturers} />
        </section>
      ) : null}

      <HealthSettingsSection />

      <IncidentSettingsSection />

      <section className="card p-5" aria-labelledby="sites">
        <h2 id="sites" className="mb-4 text-base font-semibold">Sites and units</h2>
        <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-4">
          {places.sites.map((s) => (
            <div key={s.id}>
              <h3 className="font-medium">{s.name}</h3>
              <ul className="mt-1 text-sm text-slate-700">
                {places.units.filter((u) => u.siteId === s.id).map((u) => (
                  <li key={u.id}>{u.name}</li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      </section>
    </>
  );
}

function UnitNames({ ids, places }: { ids: number[]; places: Parameters<typeof UserUnitsForm>[0]["places"] }) {
  const groups = places.sites
    .map((s) => ({ site: s.name, units: places.units.filter((u) => u.siteId === s.id && ids.includes(u.id)).map((u) => u.name) }))
    .filter((g) => g.units.length);
  if (!groups.length) return <span className="text-xs text-slate-700">No units</span>;
  return (
    <ul className="text-xs text-slate-700">
      {groups.map((g) => <li key={g.site}><span className="font-medium">{g.site}:</span> {g.units.join(", ")}</li>)}
    </ul>
  );
}
