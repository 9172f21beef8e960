import { createContext, type MouseEvent, type ReactNode, useCallback, useContext, useEffect, useState } from "react";

/**
 * A history router of a few lines: the app has five routes, and the server answers every
 * non-API path with index.html, so a reload on /devices/x works.
 */
interface RouterState {
  path: string;
  search: URLSearchParams;
  navigate: (to: string) => void;
}

const RouterContext = createContext<RouterState | undefined>(undefined);

function current(): { path: string; search: URLSearchParams } {
  return { path: window.location.pathname, search: new URLSearchParams(window.location.search) };
}

export function Router({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const onPop = () => setLocation(current());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((to: string) => {
    window.history.pushState(null, "", to);
    setLocation(current());
    window.scrollTo(0, 0);
  }, []);
  return <RouterContext.Provider value={{ ...location, navigate }}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterState {
  const state = useContext(RouterContext);
  if (state === undefined) throw new Error("useRouter() needs a <Router> above it");
  return state;
}

/** An in-app link: a real <a> (middle-click and copy work) that navigates without a reload. */
export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  const { navigate } = useRouter();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} className={className}>
      {children}
    </a>
  );
}

/** The path of a device's page; ids are ours but still encoded, since they end up in a URL. */
export function devicePath(id: string): string {
  return `/devices/${encodeURIComponent(id)}`;
}
