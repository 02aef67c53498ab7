// Light or dark: the system's choice until the user picks one, remembered per browser.
import { useSyncExternalStore } from "react";

export type Theme = "light" | "dark";
const KEY = "eccs.theme";
const dark = window.matchMedia("(prefers-color-scheme: dark)");
const listeners = new Set<() => void>();

function chosen(): Theme | null {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : null;
}

export function currentTheme(): Theme {
  return chosen() ?? (dark.matches ? "dark" : "light");
}

function apply(): void {
  document.documentElement.dataset.theme = currentTheme();
  for (const listener of listeners) listener();
}

export function setTheme(theme: Theme): void {
  localStorage.setItem(KEY, theme);
  apply();
}

/** Called once before the first render, so the page never flashes the other theme. */
export function applyTheme(): void {
  apply();
  dark.addEventListener("change", apply);
  window.addEventListener("storage", (event) => {
    if (event.key === KEY) apply();
  });
}

export function useTheme(): Theme {
  return useSyncExternalStore((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, currentTheme);
}
