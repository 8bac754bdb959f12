"use client";

import { useActionState } from "react";
import { createUserAction, updateUserAction } from "@/lib/actions/users";
import type { ActionState } from "@/lib/actions/run";
import { ROLES, ROLE_LABELS, type Role } from "@/lib/domain";
import { FormMessage } from "./ui";

export function CreateUserForm() {
  const [state, action, pending] = useActionState<ActionState, FormData>(createUserAction, { ok: true });
  const v = state.values ?? {};
  const err = (f: string) => state.fieldErrors?.[f]?.[0];
  const formKey = JSON.stringify(v);
  return (
    <form action={action} className="grid gap-3 md:grid-cols-5" aria-label="Create account" key={formKey}>
      <FormMessage ok={state.ok} message={state.message} className="md:col-span-5" />
      <Input id="username" label="Username" value={v.username} error={err("username")} />
      <Input id="displayName" label="Full name (printed on signatures)" value={v.displayName} error={err("displayName")} />
      <Input id="email" label="E-mail (optional)" value={v.email} error={err("email")} />
      <div>
        <label htmlFor="role" className="label">Role</label>
        <select id="role" name="role" className="input" defaultValue={v.role ?? "biomed"}>
          {ROLES.map((r) => (
            <option key={r} value={r}>{ROLE_LABELS[r]}</option>
          ))}
        </select>
      </div>
      <Input id="password" label="Initial password (12+ characters)" type="password" error={err("password")} />
      <div className="md:col-span-5">
        <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Creating…" : "Create account"}</button>
      </div>
    </form>
  );
}

function Input({ id, label, value, error, type = "text" }: { id: string; label: string; value?: string; error?: string; type?: string }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <input id={id} name={id} type={type} className="input" defaultValue={value} autoComplete="off" aria-invalid={error ? true : undefined} />
      {error ? <p className="mt-1 text-xs text-red-700">{error}</p> : null}
    </div>
  );
}

/** Role and active switch for one account row. */
export function UserRowControls({ user, self }: { user: { id: number; username: string; role: Role; active: boolean }; self: boolean }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(updateUserAction, { ok: true });
  if (self) return <span className="text-xs text-slate-600">This is you</span>;
  return (
    <div className="flex flex-wrap items-center gap-2">
      <form action={action} className="flex items-center gap-2">
        <input type="hidden" name="userId" value={user.id} />
        <label htmlFor={`role-${user.id}`} className="sr-only">Role of {user.username}</label>
        <select id={`role-${user.id}`} name="role" className="input w-auto py-1" defaultValue={user.role}>
          {ROLES.map((r) => (
            <option key={r} value={r}>{ROLE_LABELS[r]}</option>
          ))}
        </select>
        <button type="submit" className="btn-secondary py-1 whitespace-nowrap" disabled={pending}>Change role</button>
      </form>
      <form action={action}>
        <input type="hidden" name="userId" value={user.id} />
        <input type="hidden" name="active" value={user.active ? "false" : "true"} />
        <button type="submit" className={`${user.active ? "btn-danger" : "btn-secondary"} py-1 whitespace-nowrap`} disabled={pending}>
          {user.active ? `Disable ${user.username}` : `Enable ${user.username}`}
        </button>
      </form>
      {!state.ok && state.message ? <p className="w-full text-xs text-red-700">{state.message}</p> : null}
    </div>
  );
}
