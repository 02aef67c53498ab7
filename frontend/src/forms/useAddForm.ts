import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FieldValues, Path, UseFormReturn } from "react-hook-form";
import { showApiErrors } from "./apiErrors";

interface AddFormOptions<Values extends FieldValues, Added> {
  form: UseFormReturn<Values>;
  send: (values: Values) => Promise<Added>;
  /** The query key of the list the new item joins. */
  list: string;
  /** The field the cursor goes back to, ready for the next one. */
  first: Path<Values>;
  /** The fields the API's refusals may name. */
  fields: readonly Path<Values>[];
  /** What to call the item in the confirmation. */
  name: (added: Added) => string;
}

/** A form that adds one item to a list at a time: it sends the values, then empties itself for
 * the next item, says which one was added and refreshes the list; a refusal is shown on the
 * fields it names, anything else above the button. */
export function useAddForm<Values extends FieldValues, Added>(options: AddFormOptions<Values, Added>) {
  const { form } = options;
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: options.send,
    onSuccess: async (item) => {
      setAdded(options.name(item));
      form.reset();
      form.setFocus(options.first);
      await queryClient.invalidateQueries({ queryKey: [options.list] });
    },
    onError: (error) => {
      setProblem(showApiErrors(error, form.setError, options.fields));
    },
  });
  const submit = form.handleSubmit((values) => {
    setProblem(null);
    setAdded(null);
    add.mutate(values);
  });
  return { submit, problem, added, busy: add.isPending };
}
