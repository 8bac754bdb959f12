import Link from "next/link";
import { requireUser } from "@/lib/auth/session";
import { ROLE_LABELS } from "@/lib/domain";

export default async function ForbiddenPage() {
  const user = await requireUser();
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="card max-w-md p-8 text-center">
        <h1 className="text-xl font-semibold">This page is not available to you</h1>
        <p className="mt-3 text-sm text-slate-600">
          You are signed in as {user.name} ({ROLE_LABELS[user.role]}). Your role does not include this page. If you need it
          for your work, ask an administrator.
        </p>
        <Link href="/" className="btn-primary mt-6">Go to my start page</Link>
      </div>
    </main>
  );
}
