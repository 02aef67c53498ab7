const units = ["bytes", "KB", "MB", "GB"];

/** A size for people: 1,234 bytes, 12 KB, 3.4 MB (attachments, caught messages). */
function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toLocaleString(undefined, { maximumFractionDigits: digits })} ${units[unit] ?? ""}`;
}

export function ByteSize({ bytes }: { bytes: number }) {
  return <span title={`${bytes.toLocaleString()} bytes`}>{formatBytes(bytes)}</span>;
}
