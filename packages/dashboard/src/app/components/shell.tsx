import type { ReactNode } from "react";
import { useLive } from "../live/live-events.js";
import { Link, useRouter } from "../router.js";
import { useSession } from "../session.js";

const NAV = [
  { to: "/", label: "Overview" },
  { to: "/devices", label: "Devices" },
  { to: "/map", label: "Map" },
  { to: "/alerts", label: "Alerts" },
  { to: "/settings", label: "Settings" },
] as const;

function isActive(path: string, to: string): boolean {
  return to === "/" ? path === "/" : path === to || path.startsWith(`${to}/`);
}

/** The frame of every page: the header with navigation (a bottom bar on a phone), the live dot. */
export function Shell({ children }: { children: ReactNode }) {
  const { path } = useRouter();
  const { connected } = useLive();
  const { logout } = useSession();
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          Heimdal
        </Link>
        <nav className="nav" aria-label="Main">
          {NAV.map((item) => (
            <Link key={item.to} to={item.to} className={isActive(path, item.to) ? "nav-item active" : "nav-item"}>
              {item.label}
            </Link>
          ))}
        </nav>
        <span className={connected ? "live live-on" : "live"} title={connected ? "Live updates on" : "Reconnecting…"}>
          {connected ? "Live" : "Offline"}
        </span>
        <button type="button" className="link-button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
