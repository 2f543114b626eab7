// Who is signed in: restores the cookie session on load, and exposes the member to every page.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { api, onSessionChange, refreshSession } from "../api/client";
import type { Me } from "../api/types";

type State = { status: "loading" } | { status: "signed-out" } | { status: "signed-in"; me: Me };

const SessionContext = createContext<State>({ status: "loading" });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  const queryClient = useQueryClient();
  useEffect(() => {
    const off = onSessionChange((yes) => {
      setSignedIn(yes);
      if (!yes) queryClient.clear();
    });
    void refreshSession().then((ok) => setSignedIn(ok));
    return off;
  }, [queryClient]);
  const me = useQuery({ queryKey: ["me"], queryFn: () => api<Me>("/api/v1/auth/me"), enabled: signedIn === true });
  const state: State =
    signedIn === null || (signedIn && me.isPending) ? { status: "loading" } : signedIn && me.data ? { status: "signed-in", me: me.data } : { status: "signed-out" };
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export const useSession = () => useContext(SessionContext);

export function useMe(): Me {
  const s = useSession();
  if (s.status !== "signed-in") throw new Error("useMe outside a signed-in page");
  return s.me;
}
