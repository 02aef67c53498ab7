import type { ButtonHTMLAttributes } from "react";

type Variant = "primary" | "secondary" | "danger" | "ghost";

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  /** Shown while the action runs; the button is disabled meanwhile. */
  busy?: boolean;
}

export function Button({ variant = "secondary", busy = false, className, children, ...rest }: ButtonProps) {
  return (
    <button
      type="button"
      {...rest}
      className={["button", `button-${variant}`, className].filter(Boolean).join(" ")}
      disabled={busy || rest.disabled}
      aria-busy={busy || undefined}
    >
      {children}
    </button>
  );
}
