import { useSyncExternalStore } from "react";
import { currentSession, subscribe, type StoredSession } from "./session";

/** The signed-in session of every tab, or null; re-renders when any tab changes it. */
export function useSession(): StoredSession | null {
  return useSyncExternalStore(subscribe, currentSession);
}
