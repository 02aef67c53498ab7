import type { ChangeEvent } from "react";
import { Link } from "react-router";
import type { Template } from "../../api/types";
import { Field } from "../../components/Field";
import { useTemplateChoices } from "./useTemplates";

interface TemplateChooserProps {
  value: string;
  onChoose: (template: Template | undefined) => void;
  error?: string | undefined;
}

export function TemplateChooser({ value, onChoose, error }: TemplateChooserProps) {
  const templates = useTemplateChoices();
  const items = templates.data?.items ?? [];
  const more = templates.data !== undefined && templates.data.total > items.length;

  const choose = (event: ChangeEvent<HTMLSelectElement>) => {
    onChoose(items.find((template) => template.id === event.target.value));
  };

  let hint: string | undefined;
  if (templates.isPending) hint = "Loading your templates…";
  else if (templates.isError) hint = "Your templates could not be loaded; you can still write the email.";
  else if (items.length === 0) hint = "You have no templates yet.";
  else if (more)
    hint = `Showing the first ${items.length} of ${templates.data.total} templates, by newest.`;

  return (
    <Field
      label="Template"
      error={error}
      hint={
        hint === undefined ? undefined : (
          <>
            {hint} <Link to="/templates">Manage templates</Link>
          </>
        )
      }
    >
      {(control) => (
        <select {...control} value={value} onChange={choose} disabled={templates.isPending}>
          <option value="">No template</option>
          {items.map((template) => (
            <option key={template.id} value={template.id}>
              {template.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
