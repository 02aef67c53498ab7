import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { useSession } from "../auth/useSession";
import { signOut } from "../auth/signOut";
import { Button } from "../components/Button";
import { useMode } from "../mode";
import { setTheme, useTheme } from "../theme";
import { VerifyBanner } from "./VerifyBanner";

interface Link {
  to: string;
  label: string;
  end?: boolean;
}

function useLinks(): Link[] {
  const session = useSession();
  const mode = useMode();
  const links: Link[] = [
    { to: "/", label: "Dashboard", end: true },
    { to: "/compose", label: "Compose" },
    { to: "/emails", label: "Sent" },
    { to: "/templates", label: "Templates" },
    { to: "/contacts", label: "Contacts" },
    { to: "/suppressions", label: "Suppressions" },
    { to: "/webhooks", label: "Webhooks" },
    { to: "/keys", label: "API keys" },
    { to: "/account", label: "Account" },
  ];
  if (session?.user.role === "admin") links.push({ to: "/admin/dlq", label: "Dead letters" });
  if (mode === "embedded") links.push({ to: "/dev/inbox", label: "Mail catcher" });
  return links;
}

export function AppLayout() {
  const session = useSession();
  const queryClient = useQueryClient();
  const theme = useTheme();
  const links = useLinks();
  const location = useLocation();
  const [menuFor, setMenuFor] = useState<string | null>(null);
  // The phone menu closes when a link in it is followed, and by itself when the page changes.
  const menuOpen = menuFor === location.pathname;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <NavLink to="/" className="brand" aria-label="ECCS home">
          ECCS
        </NavLink>
        <button
          type="button"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="app-nav"
          onClick={() => { setMenuFor(menuOpen ? null : location.pathname); }}
        >
          Menu
        </button>
        <nav id="app-nav" aria-label="Main" className={menuOpen ? "app-nav open" : "app-nav"}>
          <ul>
            {links.map((link) => (
              <li key={link.to}>
                <NavLink
                  to={link.to}
                  end={link.end ?? false}
                  onClick={() => { setMenuFor(null); }}
                >
                  {link.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="app-user">
          <Button
            variant="ghost"
            aria-label={theme === "dark" ? "Use the light theme" : "Use the dark theme"}
            onClick={() => { setTheme(theme === "dark" ? "light" : "dark"); }}
          >
            {theme === "dark" ? "Light" : "Dark"}
          </Button>
          <span className="user-name" title={session?.user.email}>
            {session?.user.name}
          </span>
          <Button variant="ghost" onClick={() => void signOut(queryClient)}>
            Sign out
          </Button>
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <VerifyBanner />
        <Outlet />
      </main>
    </div>
  );
}
