// What the account forms ask of an email address and of a new password (10 to 72 bytes of
// UTF-8, bcrypt's limit; the API also refuses common ones and the address itself).
export const EMAIL_REQUIRED = { required: "Enter your email address." };

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

export const NEW_PASSWORD_RULES = {
  validate: (value: string): true | string => {
    const length = utf8Length(value);
    return (length >= 10 && length <= 72) || "Use 10 to 72 characters.";
  },
};
