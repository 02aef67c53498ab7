// What a new password must be, checked before the API is asked (which also refuses common ones
// and the address itself): 10 to 72 bytes of UTF-8, bcrypt's limit.
const utf8Length = (text: string) => new TextEncoder().encode(text).length;

export const PASSWORD_HINT = "10 to 72 characters; not your email address or a common password.";

export function passwordLength(value: string): true | string {
  const length = utf8Length(value);
  return (length >= 10 && length <= 72) || "Use 10 to 72 characters.";
}
