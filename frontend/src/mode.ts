// Embedded mode (`eccs up`) has a mail catcher; the app asks /health once which mode it runs in.
// /health answers in both modes (the embedded front, and the web app's nginx in distributed
// mode), so finding out never shows up as a failed request.
import { useQuery } from "@tanstack/react-query";

export type Mode = "embedded" | "distributed";

async function fetchMode(): Promise<Mode> {
  const response = await fetch("/health", { headers: { Accept: "application/json" } });
  const body = (await response.json()) as { mode?: string };
  return body.mode === "embedded" ? "embedded" : "distributed";
}

export function useMode(): Mode | undefined {
  return useQuery({ queryKey: ["mode"], queryFn: fetchMode, staleTime: Infinity, retry: 1 }).data;
}
