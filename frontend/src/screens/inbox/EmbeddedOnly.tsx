import type { ReactNode } from "react";
import { PageHeader } from "../../components/PageHeader";
import { Empty, Loading } from "../../components/states";
import { useMode } from "../../mode";

/** The mail catcher exists only under `eccs up`; elsewhere its API is not there to ask. */
export function EmbeddedOnly({ title, children }: { title?: string; children: ReactNode }) {
  const mode = useMode();
  if (mode === "embedded") return children;
  // Pages whose heading comes from what they load still need one meanwhile.
  const heading = title === undefined ? null : <PageHeader title={title} />;
  if (mode === undefined) {
    return (
      <>
        {heading}
        <Loading />
      </>
    );
  }
  return (
    <>
      {heading}
      <Empty title="No mail catcher here">
        <p>The mail catcher runs only in embedded mode (eccs up); this ECCS delivers for real.</p>
      </Empty>
    </>
  );
}
