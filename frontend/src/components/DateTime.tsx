import { formatDateTime } from "./dates";

export function DateTime({ value, style = "short" }: { value: string; style?: "full" | "short" }) {
  return (
    <time dateTime={value} title={formatDateTime(value, "full")}>
      {formatDateTime(value, style)}
    </time>
  );
}
