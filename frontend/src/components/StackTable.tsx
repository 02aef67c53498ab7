import type { ReactNode } from "react";

export interface Column {
  label: string;
  /** Numbers line up on the right. */
  numeric?: boolean;
}

/**
 * A table for a list of records. On a phone each row becomes a block of its own, each cell
 * introduced by its `data-label` (the column's name), so nothing scrolls sideways.
 */
export function StackTable({ columns, children }: { columns: (string | Column)[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="stack-table">
        <thead>
          <tr>
            {columns.map((column) => {
              const { label, numeric = false } = typeof column === "string" ? { label: column } : column;
              return (
                <th key={label} scope="col" className={numeric ? "numeric" : undefined}>
                  {label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
