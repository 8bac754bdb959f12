import type { Metadata } from "next";
import { formatDateTime } from "@/components/format";
import { Badge, PageHeader } from "@/components/ui";
import { CreateUserForm, UserRowControls } from "@/components/user-forms";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { ROLE_LABELS } from "@/lib/domain";
import { deviceFilterOptions } from "@/lib/services/inventory/list-devices";
import { listUsers } from "@/lib/services/users/manage-users";
import { TableHead } from "@/components/table";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const me = await requirePagePermission("settings.read", "/settings");
  const ctx = await requestCtx();
  const [users, places] = await Promise.all([listUsers(ctx, {}), deviceFilterOptions(ctx, undefined)]);
  return (
    <>
      <PageHeader
        title="Settings"
        description="Accounts and roles. Accounts are never deleted, only disabled, so every name in the audit trail stays traceable. Disabling an account or changing its role ends its sessions at once."
      />
      <section className="card mb-6 p-5" aria-labelledby="new-user">
        <h2 id="new-user" className="mb-4 text-base font-semibold">New account</h2>
        <CreateUserForm />
      </section>
      <section className="card mb-6 overflow-x-auto" aria-labelledby="accounts">
        <h2 id="accounts" className="px-5 pt-5 text-base font-semibold">Accounts</h2>
        <table className="mt-3 min-w-full divide-y divide-slate-200 text-sm">
          <TableHead columns={["Username", "Name", "Role", "State", "Last sign-in", "Change"]} />
          <tbody className="divide-y divide-slate-100" data-testid="user-rows">
            {users.map((u) => (
              <tr key={u.id}>
                <td className="px-4 py-2 font-mono text-xs">{u.username}</td>
                <td className="px-4 py-2">{u.displayName}</td>
                <td className="px-4 py-2">{ROLE_LABELS[u.role]}</td>
                <td className="px-4 py-2">{u.active ? <Badge tone="green">Active</Badge> : <Badge>Disabled</Badge>}</td>
                <td className="px-4 py-2 text-xs text-slate-600">{formatDateTime(u.lastLoginAt)}</td>
                <td className="px-4 py-2"><UserRowControls user={u} self={u.id === me.userId} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
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
