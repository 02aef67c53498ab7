// What a screen shows while it loads, when there is nothing yet, and when loading failed.
import type { ReactNode } from "react";
import { describe } from "../api/errors";
import { Button } from "./Button";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

export function Failed({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">Could not load this.</p>
      <p>{describe(error)}</p>
      {retry !== undefined && <Button onClick={retry}>Try again</Button>}
    </div>
  );
}

/** What an action came to, for a Notice. */
export interface Outcome {
  tone: "success" | "error";
  text: string;
}

/** A message about something that just happened, read out by screen readers. */
export function Notice({
  tone = "info",
  children,
}: {
  tone?: "info" | "success" | "error";
  children: ReactNode;
}) {
  return (
    <div className={`notice notice-${tone}`} role={tone === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}
