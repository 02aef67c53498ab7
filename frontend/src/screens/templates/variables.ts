// The names a Mustache template asks for, so the screens can offer one input per name.
//
// Only top-level names count: a name inside a section ({{#items}}{{id}}{{/items}}) belongs to each
// item, and the API does not require it when the section itself is empty, so asking for it would
// only confuse. A section's own name is asked for (its value decides whether it shows).

const TAG = /\{\{\{\s*([^}]+?)\s*\}\}\}|\{\{([#^/!>&=]?)\s*([^}]*?)\s*\}\}/g;

export function templateVariables(...sources: (string | null | undefined)[]): string[] {
  const names: string[] = [];
  const add = (name: string) => {
    if (name !== "." && name !== "" && !names.includes(name)) names.push(name);
  };
  for (const source of sources) {
    if (source === null || source === undefined) continue;
    let depth = 0;
    for (const match of source.matchAll(TAG)) {
      const [, triple, sigil = "", name = ""] = match;
      if (triple !== undefined) {
        if (depth === 0) add(triple);
        continue;
      }
      // Changed delimiters make the rest unreadable by this scan; the API still checks it.
      if (sigil === "=") break;
      if (sigil === "!" || sigil === ">") continue;
      if (sigil === "/") depth = Math.max(0, depth - 1);
      else if (sigil === "#" || sigil === "^") {
        if (depth === 0) add(name);
        depth += 1;
      } else if (depth === 0) add(name.replace(/^&\s*/, ""));
    }
  }
  return names;
}

/** The values as the renderer wants them: `user.name` becomes `{ user: { name } }`. */
export function templateData(
  names: readonly string[],
  values: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const name of names) {
    const parts = name.split(".");
    const last = parts.pop() ?? name;
    let target = data;
    for (const part of parts) {
      const next = target[part];
      if (typeof next === "object" && next !== null) target = next as Record<string, unknown>;
      else {
        const created: Record<string, unknown> = {};
        target[part] = created;
        target = created;
      }
    }
    target[last] = values[name] ?? "";
  }
  return data;
}

/**
 * Whether the sources can be rendered as far as a quick look can tell: every tag closed and
 * every section ended in order. Live previews wait for this instead of sending half-typed tags
 * ("{{na") to the API, which would answer 422 on every keystroke.
 */
export function templateLooksComplete(...sources: (string | null | undefined)[]): boolean {
  for (const source of sources) {
    if (source === null || source === undefined) continue;
    const opens = source.split("{{").length - 1;
    const closes = source.split("}}").length - 1;
    if (opens !== closes) return false;
    const sections: string[] = [];
    for (const match of source.matchAll(TAG)) {
      const [whole, triple, sigil = "", name = ""] = match;
      if (triple === undefined && name === "" && sigil !== "!") return false;
      if (whole.startsWith("{{{") && !whole.endsWith("}}}")) return false;
      if (sigil === "=") break;
      if (sigil === "#" || sigil === "^") sections.push(name);
      else if (sigil === "/" && sections.pop() !== name) return false;
    }
    if (sections.length > 0) return false;
  }
  return true;
}
