/** Where to go after signing in: the remembered page, if it is one of ours. */
export function nextPage(search: URLSearchParams): string {
  const next = search.get("next");
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}
