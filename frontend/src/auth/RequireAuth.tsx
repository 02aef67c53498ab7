import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useSession } from "./useSession";

/** Signed-out visitors go to sign-in, which brings them back here afterwards. */
export function RequireAuth({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const session = useSession();
  const location = useLocation();
  if (session === null) {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  if (admin && session.user.role !== "admin") {
    return <Navigate to="/" replace />;
  }
  return children;
}
