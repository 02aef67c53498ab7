import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { contactRules } from "../contacts/contactValues";

interface Values {
  address: string;
  detail: string;
}

export function AddSuppressionForm() {
  const queryClient = useQueryClient();
  const form = useForm<Values>({ defaultValues: { address: "", detail: "" } });
  const { errors } = form.formState;
  const [problem, setProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (values: Values) =>
      data(
        api.POST("/api/suppressions", {
          body: { address: values.address.trim(), detail: values.detail.trim() || null },
        }),
      ),
    onSuccess: async (suppression) => {
      setAdded(suppression.address);
      form.reset();
      form.setFocus("address");
      await queryClient.invalidateQueries({ queryKey: ["suppressions"] });
    },
    onError: (error) => {
      setProblem(showApiErrors(error, form.setError, ["address", "detail"]));
    },
  });
  const submit = form.handleSubmit((values) => {
    setProblem(null);
    setAdded(null);
    add.mutate(values);
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
      <Button type="submit" variant="primary" busy={add.isPending}>
        Suppress
      </Button>
    </form>
  );
}
