import type { ReactNode } from "react";
import { PageHeader } from "../../components/PageHeader";

/** The frame of the signed-out pages. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand auth-brand">ECCS</p>
        <PageHeader title={title} />
        {children}
      </div>
    </main>
  );
}
