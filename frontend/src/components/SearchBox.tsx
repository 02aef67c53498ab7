import { useEffect, useRef, useState } from "react";
import { Field } from "./Field";

interface SearchBoxProps {
  label?: string;
  /** The search in effect (from the URL). */
  value: string;
  /** Called once typing pauses, not on every key. */
  onSearch: (value: string) => void;
  placeholder?: string;
  hint?: string;
  delay?: number;
}

/**
 * A search input for the lists: the list follows the text once typing pauses, and the text
 * follows the search in effect when that changes from outside (back, a link).
 */
export function SearchBox(props: SearchBoxProps) {
  const { label = "Search", value, onSearch, placeholder, hint, delay = 300 } = props;
  const [text, setText] = useState(value);
  // The last value this box saw from outside; a different one means the URL moved on its own.
  const [known, setKnown] = useState(value);
  if (value !== known) {
    setKnown(value);
    setText(value);
  }
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => { clearTimeout(timer.current); }, []);

  const settle = (next: string) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const trimmed = next.trim();
      // Remembered first, so the URL catching up does not overwrite what was typed since.
      setKnown(trimmed);
      onSearch(trimmed);
    }, delay);
  };

  return (
    <Field label={label} hint={hint}>
      {(control) => (
        <input
          {...control}
          type="search"
          value={text}
          placeholder={placeholder}
          onChange={(event) => {
            setText(event.target.value);
            settle(event.target.value);
          }}
        />
      )}
    </Field>
  );
}
