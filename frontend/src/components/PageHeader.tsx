import { useEffect, type ReactNode } from "react";

/** The screen's heading (and the tab's title), with its main actions beside it. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · ECCS`;
  }, [title]);
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children !== undefined && <div className="page-actions">{children}</div>}
    </header>
  );
}
