import { useCombobox, useMultipleSelection } from "downshift";
import { useId, useState, type ChangeEvent, type KeyboardEvent, type RefCallback } from "react";
import type { Contact } from "../../api/types";
import { looksLikeAddress, splitAddresses } from "./addresses";
import { useContactSuggestions } from "./useContactSuggestions";

interface RecipientInputProps {
  label: string;
  addresses: string[];
  onChange: (addresses: string[]) => void;
  error?: string | undefined;
  /** Lets the form move focus here (to the first field with a problem, say). */
  inputRef?: RefCallback<HTMLInputElement>;
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Addresses as removable chips, with contacts suggested as you type. Enter, a comma or leaving
 * the field turns what was typed into a chip; Enter on a highlighted suggestion takes that
 * contact instead. Backspace in the empty field, or on a focused chip, removes a chip.
 */
export function RecipientInput({ label, addresses, onChange, error, inputRef }: RecipientInputProps) {
  const inputId = useId();
  const errorId = `${inputId}-error`;
  const [typed, setTyped] = useState("");
  const suggestions = useContactSuggestions(typed).filter(
    (contact) => !addresses.some((address) => sameAddress(address, contact.email)),
  );

  const add = (incoming: string[]) => {
    const next = [...addresses];
    for (const address of incoming) {
      if (!next.some((existing) => sameAddress(existing, address))) next.push(address);
    }
    if (next.length !== addresses.length) onChange(next);
  };

  const commitTyped = () => {
    const parts = splitAddresses(typed);
    if (parts.length > 0) add(parts);
    setTyped("");
  };

  const { getSelectedItemProps, getDropdownProps, removeSelectedItem } = useMultipleSelection<string>({
    selectedItems: addresses,
    onStateChange({ selectedItems, type }) {
      switch (type) {
        case useMultipleSelection.stateChangeTypes.SelectedItemKeyDownBackspace:
        case useMultipleSelection.stateChangeTypes.SelectedItemKeyDownDelete:
        case useMultipleSelection.stateChangeTypes.DropdownKeyDownBackspace:
        case useMultipleSelection.stateChangeTypes.FunctionRemoveSelectedItem:
          onChange(selectedItems ?? []);
          break;
        default:
          break;
      }
    },
  });

  const { isOpen, getLabelProps, getMenuProps, getInputProps, getItemProps, highlightedIndex } =
    useCombobox<Contact>({
      items: suggestions,
      inputId,
      itemToString: (contact) => contact?.email ?? "",
      itemToKey: (contact: Contact | null) => contact?.id,
      inputValue: typed,
      selectedItem: null,
      stateReducer(state, { changes, type }) {
        switch (type) {
          case useCombobox.stateChangeTypes.InputKeyDownEnter:
          case useCombobox.stateChangeTypes.ItemClick:
            // Stay in the field, ready for the next address.
            return { ...changes, isOpen: false, inputValue: "" };
          case useCombobox.stateChangeTypes.InputBlur:
            // Leaving the field keeps what was typed (handled below), not a highlighted guess.
            return { ...changes, selectedItem: null, inputValue: state.inputValue };
          default:
            return changes;
        }
      },
      onStateChange({ type, selectedItem }) {
        switch (type) {
          case useCombobox.stateChangeTypes.InputKeyDownEnter:
          case useCombobox.stateChangeTypes.ItemClick:
            if (selectedItem) {
              add([selectedItem.email]);
              setTyped("");
            }
            break;
          default:
            break;
        }
      },
    });

  // Typing is handled here rather than in onStateChange, which downshift calls after rendering:
  // keys pressed in quick succession would otherwise land on a stale value.
  const type = (text: string) => {
    // A pasted list, or a separator typed at the end: the finished parts become chips.
    const parts = text.split(/[,;\n]/);
    const last = parts.pop() ?? "";
    if (parts.length > 0) add(parts.flatMap(splitAddresses));
    setTyped(parts.length > 0 ? last.trimStart() : last);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    const takesSuggestion = isOpen && highlightedIndex >= 0;
    if (event.key === "Enter" && !takesSuggestion) {
      // Never submit the whole form from here: Enter means "this address is complete".
      event.preventDefault();
      commitTyped();
    }
  };

  const describedBy = error === undefined ? undefined : errorId;
  const showMenu = isOpen && suggestions.length > 0;

  return (
    <div className={error === undefined ? "field recipients" : "field recipients field-invalid"}>
      <label {...getLabelProps()}>{label}</label>
      {/* The suggestions hang from the box itself, whatever message shows under it. */}
      <div className="chips-anchor">
        <div className="chips">
          {addresses.length > 0 && (
            <ul className="chip-list" aria-label={`${label} recipients`}>
              {addresses.map((address, index) => (
                <li
                  key={address}
                  className={looksLikeAddress(address) ? "chip" : "chip chip-invalid"}
                >
                  <span
                    className="chip-label"
                    {...getSelectedItemProps({ selectedItem: address, index })}
                  >
                    {address}
                    {!looksLikeAddress(address) && (
                      <span className="visually-hidden"> (not an email address)</span>
                    )}
                  </span>
                  <button
                    type="button"
                    className="chip-remove"
                    aria-label={`Remove ${address}`}
                    onClick={() => {
                      removeSelectedItem(address);
                    }}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <input
            className="chips-input"
            type="text"
            inputMode="email"
            spellCheck={false}
            aria-invalid={error !== undefined}
            aria-describedby={describedBy}
            {...getInputProps(
              getDropdownProps({
                ref: inputRef,
                onKeyDown: (event: KeyboardEvent<HTMLInputElement>) => {
                  if (event.key === "," || event.key === ";") {
                    event.preventDefault();
                    commitTyped();
                    return;
                  }
                  onKeyDown(event);
                },
                onBlur: commitTyped,
                onChange: (event: ChangeEvent<HTMLInputElement>) => {
                  type(event.target.value);
                },
              }),
            )}
          />
        </div>
        <ul className={showMenu ? "suggestions open" : "suggestions"} {...getMenuProps()}>
          {showMenu &&
            suggestions.map((contact, index) => (
              <li
                key={contact.id}
                className={highlightedIndex === index ? "suggestion highlighted" : "suggestion"}
                {...getItemProps({ item: contact, index })}
              >
                {contact.name !== null && contact.name.trim() !== "" && (
                  <span className="suggestion-name">{contact.name}</span>
                )}
                <span className="suggestion-email">{contact.email}</span>
              </li>
            ))}
        </ul>
      </div>
      {error !== undefined && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}
