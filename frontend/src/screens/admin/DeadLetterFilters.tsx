import { Field } from "../../components/Field";
import { REASON_VALUES, reasonLabel } from "./reasons";
import type { DeadLetterFilters as Filters } from "./useDeadLetterParams";

interface DeadLetterFiltersProps {
  filters: Filters;
  onChange: (change: Partial<Filters>) => void;
}

export function DeadLetterFilters({ filters, onChange }: DeadLetterFiltersProps) {
  return (
    <div className="toolbar" role="search" aria-label="Filter the dead letters">
      <Field label="Reason">
        {(control) => (
          <select
            {...control}
            value={filters.reason ?? ""}
            onChange={(event) => {
              onChange({ reason: REASON_VALUES.find((reason) => reason === event.target.value) });
            }}
          >
            <option value="">Any reason</option>
            {REASON_VALUES.map((reason) => (
              <option key={reason} value={reason}>
                {reasonLabel(reason)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Since">
        {(control) => (
          <input
            {...control}
            type="datetime-local"
            value={filters.since}
            max={filters.until || undefined}
            onChange={(event) => { onChange({ since: event.target.value }); }}
          />
        )}
      </Field>
      <Field label="Until">
        {(control) => (
          <input
            {...control}
            type="datetime-local"
            value={filters.until}
            min={filters.since || undefined}
            onChange={(event) => { onChange({ until: event.target.value }); }}
          />
        )}
      </Field>
    </div>
  );
}
