import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { useAddForm } from "../../forms/useAddForm";
import { contactRules } from "../contacts/contactValues";

interface Values {
  address: string;
  detail: string;
}

export function AddSuppressionForm() {
  const form = useForm<Values>({ defaultValues: { address: "", detail: "" } });
  const { errors } = form.formState;
  const { submit, problem, added, busy } = useAddForm({
    form,
    send: (values: Values) =>
      data(
        api.POST("/api/suppressions", {
          body: { address: values.address.trim(), detail: values.detail.trim() || null },
        }),
      ),
    list: "suppressions",
    first: "address",
    fields: ["address", "detail"],
    name: (suppression) => suppression.address,
  });
  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <Field label="Address" error={errors.address?.message}>
        {(control) => (
          <input {...control} type="email" autoComplete="off" {...form.register("address", contactRules.email)} />
        )}
      </Field>
      <Field label="Note" hint="Optional: why, for whoever looks later." error={errors.detail?.message}>
        {(control) => <input {...control} autoComplete="off" {...form.register("detail")} />}
      </Field>
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      {added !== null && <Notice tone="success">Your emails are no longer sent to {added}.</Notice>}
      <Button type="submit" variant="primary" busy={busy}>
        Suppress
      </Button>
    </form>
  );
}
