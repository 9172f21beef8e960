import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from "react";
import { ApiError, api } from "./api/client.js";
import type { Session } from "./api/types.js";

type SessionState =
  | { kind: "checking" }
  | { kind: "anonymous" }
  | { kind: "unreachable"; message: string }
  | { kind: "signed-in"; session: Session };

interface SessionApi {
  state: SessionState;
  login: (password: string) => Promise<void>;
  logout: () => Promise<void>;
  retry: () => void;
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

/**
 * Who is logged in. On load it asks /auth/session (the cookie may still be valid, or the
 * server may allow localhost without login) for the CSRF token; login keeps the token for
 * every later state-changing request.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ kind: "checking" });
  const [attempt, setAttempt] = useState(0);

  const signIn = useCallback((session: Session) => {
    api.setSession(session);
    setState({ kind: "signed-in", session });
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the check on retry
  useEffect(() => {
    api.onUnauthorized = () => {
      api.setSession(undefined);
      setState({ kind: "anonymous" });
    };
    const controller = new AbortController();
    api
      .get<Session>("/auth/session", {}, controller.signal)
      .then(signIn)
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) setState({ kind: "anonymous" });
        else setState({ kind: "unreachable", message: error instanceof Error ? error.message : String(error) });
      });
    return () => controller.abort();
  }, [attempt, signIn]);

  const login = useCallback(
    async (password: string) => {
      signIn(await api.send<Session>("POST", "/auth/login", { username: "admin", password }));
    },
    [signIn],
  );

  const logout = useCallback(async () => {
    try {
      await api.send("POST", "/auth/logout");
    } finally {
      api.setSession(undefined);
      setState({ kind: "anonymous" });
    }
  }, []);

  const retry = useCallback(() => {
    setState({ kind: "checking" });
    setAttempt((n) => n + 1);
  }, []);

  return <SessionContext.Provider value={{ state, login, logout, retry }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (value === undefined) throw new Error("useSession() needs a <SessionProvider> above it");
  return value;
}
