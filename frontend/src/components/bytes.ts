const UNITS = ["bytes", "KB", "MB", "GB"];

/** A size for people, in the user's locale: 369 bytes, 12 KB, 3.4 MB, 9.0 MB (powers of 1024). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit > 0 && value < 10 ? 1 : 0;
  const shown = value.toLocaleString(undefined, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return `${shown} ${UNITS[unit] ?? ""}`;
}
