import { EmptyState, PageHeader } from "./ui";

/** A section whose capability has not been built yet says so plainly instead of pretending. */
export function NotYetAvailable({ title, purpose, arrives }: { title: string; purpose: string; arrives: string }) {
  return (
    <>
      <PageHeader title={title} description={purpose} />
      <EmptyState title={`${title} is not available yet`}>
        <p>{arrives}</p>
        <p className="mt-2">Nothing is hidden here: this section has no data and no actions in this version of Corridor.</p>
      </EmptyState>
    </>
  );
}
