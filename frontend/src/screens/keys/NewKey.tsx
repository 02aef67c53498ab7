import type { CreatedApiKey } from "../../api/types";
import { ShownOnce } from "../../components/ShownOnce";

/** A key just made: shown this once, with a way to copy it. */
export function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  return (
    <ShownOnce title={`Your new key “${created.name}”`} label="The key" value={created.key} onDone={onDone}>
      <p>Copy it now: ECCS keeps only a hash of it and cannot show it again.</p>
    </ShownOnce>
  );
}
