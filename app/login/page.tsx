import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/login-form";
import { currentUser } from "@/lib/auth/session";
import { env } from "@/lib/env";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage() {
  if (await currentUser()) redirect("/");
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <p className="text-3xl font-semibold tracking-tight text-brand-800">Corridor</p>
          <p className="mt-2 text-sm text-slate-600">Safe firmware updates for connected medical devices</p>
        </div>
        <div className="card p-6">
          <h1 className="mb-4 text-lg font-semibold">Sign in</h1>
          <LoginForm />
        </div>
        {env.demo ? (
          <p className="mt-4 text-center text-xs text-slate-600">
            Demo mode: the logins for each role were printed in the terminal that started Corridor.
          </p>
        ) : null}
      </div>
    </main>
  );
}
