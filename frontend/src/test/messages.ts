// What the page says about a control: the messages its aria-describedby names (its error and its
// hint), found the way a screen reader finds them.
export function messageFor(control: HTMLElement): string {
  return (control.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");
}
