import type { Metadata } from "next";
import { IntakeForm } from "@/components/releases/intake-form";
import { BackLink, EmptyState, PageHeader } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { listModels } from "@/lib/services/releases/queries";

export const metadata: Metadata = { title: "New release" };

export default async function NewReleasePage() {
  await requirePagePermission("releases.create", "/releases/new");
  const ctx = await requestCtx();
  const models = await listModels(ctx, {});
  return (
    <>
      <BackLink href="/releases">Releases</BackLink>
      <PageHeader
        title="New release"
        description="Describe the firmware, then add the vendor’s files. The details are saved as a draft first; the package is checked against the manufacturer’s pinned signing key before Corridor keeps it."
      />
      {models.length === 0 ? (
        <EmptyState title="No device model to release for">Your account is not linked to a manufacturer with models in the inventory. Ask an administrator.</EmptyState>
      ) : (
        <IntakeForm models={models} />
      )}
    </>
  );
}
