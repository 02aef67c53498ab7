import { formatBytes } from "./bytes";

export function ByteSize({ bytes }: { bytes: number }) {
  return <span title={`${bytes.toLocaleString()} bytes`}>{formatBytes(bytes)}</span>;
}
