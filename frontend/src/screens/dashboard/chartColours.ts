import { useTheme } from "../../theme";

export interface ChartColours {
  sent: string;
  failed: string;
  text: string;
  muted: string;
  grid: string;
  surface: string;
  status: Record<string, string>;
}

/**
 * The theme's colours for SVG attributes, which cannot use var(): read from the stylesheet's
 * custom properties, and read again when the theme changes.
 */
export function useChartColours(): ChartColours {
  useTheme();
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const success = read("--success", "green");
  const danger = read("--danger", "red");
  const info = read("--info", "blue");
  const warning = read("--warning", "orange");
  const muted = read("--muted", "gray");
  return {
    sent: success,
    failed: danger,
    text: read("--text", "black"),
    muted,
    grid: read("--border", "silver"),
    surface: read("--surface", "white"),
    // The same colour per status as the status badges.
    status: {
      scheduled: info,
      queued: info,
      sending: info,
      retrying: warning,
      sent: success,
      failed: danger,
      cancelled: muted,
    },
  };
}
