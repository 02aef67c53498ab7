// What the compose screen accepts as an address before asking the API, which checks properly.
const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]+$/;

export function looksLikeAddress(text: string): boolean {
  return ADDRESS.test(text);
}

/** Pasted or typed lists: "a@x.org, b@y.org; c@z.org" -> three addresses. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((part) => part.trim())
    .filter((part) => part !== "");
}
