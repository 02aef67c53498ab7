import { Field } from "../../components/Field";
import { SearchBox } from "../../components/SearchBox";
import { STATUSES, statusLabel } from "../../components/status";
import type { EmailListParams } from "./useEmailListParams";

interface EmailFiltersProps {
  params: EmailListParams;
  onChange: (change: Partial<EmailListParams>) => void;
}

export function EmailFilters({ params, onChange }: EmailFiltersProps) {
  return (
    <div className="toolbar" role="search" aria-label="Filter the sent emails">
      <Field label="Status">
        {(control) => (
          <select
            {...control}
            value={params.status ?? ""}
            onChange={(event) => {
              const status = STATUSES.find((candidate) => candidate === event.target.value);
              onChange({ status });
            }}
          >
            <option value="">All statuses</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <SearchBox
        value={params.q}
        placeholder="Subject or recipient"
        onSearch={(q) => { onChange({ q }); }}
      />
    </div>
  );
}
