import { Field } from "../../components/Field";

interface TemplateVariablesProps {
  names: readonly string[];
  values: Readonly<Record<string, string>>;
  errors: Readonly<Record<string, string>>;
  onChange: (name: string, value: string) => void;
}

/** One input per {{name}} the template uses; the input's label is the name itself. */
export function TemplateVariables({ names, values, errors, onChange }: TemplateVariablesProps) {
  if (names.length === 0) return null;
  return (
    <fieldset className="fieldset template-variables">
      <legend>Template variables</legend>
      <div className="field-row">
        {names.map((name) => (
          <Field key={name} label={name} error={errors[name]}>
            {(control) => (
              <input
                {...control}
                value={values[name] ?? ""}
                onChange={(event) => {
                  onChange(name, event.target.value);
                }}
              />
            )}
          </Field>
        ))}
      </div>
    </fieldset>
  );
}
