import { useId, useState } from "react";
import { useForm } from "react-hook-form";
import type { WebhookEndpointInput } from "../../api/types";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { endpointInput, type EndpointValues } from "./endpointValues";
import { EVENTS } from "./events";

interface EndpointFormProps<T> {
  initial: EndpointValues;
  submitLabel: string;
  /** Asks the API; its field errors are shown beside the fields. */
  save: (input: WebhookEndpointInput) => Promise<T>;
  onSaved: (saved: T) => void | Promise<void>;
}

/** Where events go and which ones: for a new endpoint and for changing one. */
export function EndpointForm<T>({ initial, submitLabel, save, onSaved }: EndpointFormProps<T>) {
  const form = useForm<EndpointValues>({ defaultValues: initial });
  const eventsError = `${useId()}-events-error`;
  const { errors, isSubmitting } = form.formState;
  const [problem, setProblem] = useState<string | null>(null);
  const submit = form.handleSubmit(async (values) => {
    setProblem(null);
    let saved: T;
    try {
      saved = await save(endpointInput(values));
    } catch (error) {
      setProblem(showApiErrors(error, form.setError, ["url", "events", "description"]));
      return;
    }
    await onSaved(saved);
  });
  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <Field
        label="URL"
        error={errors.url?.message}
        hint="Where ECCS POSTs each event, signed. It must be reachable from the internet."
      >
        {(control) => (
          <input
            {...control}
            type="url"
            placeholder="https://example.com/hooks/eccs"
            {...form.register("url", {
              required: "Enter the URL events go to.",
              pattern: { value: /^https?:\/\/\S+$/, message: "Start it with https:// (or http://)." },
            })}
          />
        )}
      </Field>
      <fieldset className="fieldset" aria-describedby={errors.events ? eventsError : undefined}>
        <legend>Events</legend>
        {EVENTS.map((event) => (
          <label key={event.type} className="checkbox">
            <input
              type="checkbox"
              value={event.type}
              {...form.register("events", {
                validate: (chosen) => chosen.length > 0 || "Choose at least one.",
              })}
            />{" "}
            {event.label}
          </label>
        ))}
        {errors.events?.message !== undefined && (
          <p className="field-error" id={eventsError}>
            {errors.events.message}
          </p>
        )}
      </fieldset>
      <Field label="Description" hint="Optional: what receives them." error={errors.description?.message}>
        {(control) => <input {...control} {...form.register("description")} />}
      </Field>
      <Button type="submit" variant="primary" busy={isSubmitting}>
        {submitLabel}
      </Button>
    </form>
  );
}
