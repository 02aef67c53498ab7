import { useId, useRef, type KeyboardEvent, type ReactNode } from "react";

export interface MessageView {
  id: string;
  label: string;
  /** Rendered only while the view is selected, so a view can fetch what it shows on first open. */
  render: () => ReactNode;
}

interface MessageViewsProps {
  label: string;
  views: MessageView[];
  selected: string;
  onSelect: (id: string) => void;
}

/**
 * The HTML / Text / Raw source views of a message as tabs (email detail, mail catcher), with
 * the keyboard behaviour screen-reader users expect: arrows move between tabs, Tab goes to the panel.
 */
export function MessageViews({ label, views, selected, onSelect }: MessageViewsProps) {
  const base = useId();
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const current = views.find((view) => view.id === selected) ?? views[0];
  if (current === undefined) return null;

  const move = (event: KeyboardEvent, index: number) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    let next: number | undefined;
    if (step !== undefined) next = (index + step + views.length) % views.length;
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = views.length - 1;
    const view = next === undefined ? undefined : views[next];
    if (next === undefined || view === undefined) return;
    event.preventDefault();
    onSelect(view.id);
    tabs.current[next]?.focus();
  };

  return (
    <div className="message-views">
      <div role="tablist" aria-label={label} className="tabs">
        {views.map((view, index) => (
          <button
            key={view.id}
            ref={(element) => {
              tabs.current[index] = element;
            }}
            type="button"
            role="tab"
            id={`${base}-tab-${view.id}`}
            aria-selected={view.id === current.id}
            aria-controls={`${base}-panel`}
            tabIndex={view.id === current.id ? 0 : -1}
            className="tab"
            onClick={() => { onSelect(view.id); }}
            onKeyDown={(event) => { move(event, index); }}
          >
            {view.label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`${base}-panel`}
        aria-labelledby={`${base}-tab-${current.id}`}
        className="tab-panel"
      >
        {current.render()}
      </div>
    </div>
  );
}
