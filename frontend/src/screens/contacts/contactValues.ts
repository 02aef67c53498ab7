import { looksLikeAddress } from "../compose/addresses";

export interface ContactValues {
  email: string;
  name: string;
}

export const contactRules = {
  email: {
    validate: (email: string) =>
      email.trim() === ""
        ? "Enter an email address."
        : looksLikeAddress(email.trim()) || "That does not look like an email address.",
  },
};

/** Contacts take `{email, name?}`: an empty name is sent as none. */
export function contactInput(values: ContactValues) {
  const name = values.name.trim();
  return { email: values.email.trim(), name: name === "" ? null : name };
}
