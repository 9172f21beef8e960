import { Shell } from "./components/shell.js";
import { ErrorState, Loading } from "./components/states.js";
import { LiveEventsProvider } from "./live/live-events.js";
import { LookupsProvider } from "./live/lookups.js";
import { AlertsPage } from "./pages/alerts-page.js";
import { DeviceDetailPage } from "./pages/device-detail-page.js";
import { DevicesPage } from "./pages/devices-page.js";
import { LoginPage } from "./pages/login-page.js";
import { NetworkMapPage } from "./pages/network-map-page.js";
import { OverviewPage } from "./pages/overview-page.js";
import { SettingsPage } from "./pages/settings-page.js";
import { useRouter } from "./router.js";
import { useSession } from "./session.js";

function Page() {
  const { path } = useRouter();
  if (path === "/") return <OverviewPage />;
  if (path === "/devices") return <DevicesPage />;
  if (path.startsWith("/devices/")) return <DeviceDetailPage id={decodeURIComponent(path.slice("/devices/".length))} />;
  if (path === "/alerts") return <AlertsPage />;
  if (path === "/map") return <NetworkMapPage />;
  if (path === "/settings") return <SettingsPage />;
  return <ErrorState message={`There is no page at ${path}.`} />;
}

export function App() {
  const { state, retry } = useSession();
  if (state.kind === "checking") return <Loading what="the sensor" />;
  if (state.kind === "unreachable")
    return <ErrorState message={`The sensor does not answer: ${state.message}`} onRetry={retry} />;
  if (state.kind === "anonymous") return <LoginPage />;
  return (
    <LiveEventsProvider>
      <LookupsProvider>
        <Shell>
          <Page />
        </Shell>
      </LookupsProvider>
    </LiveEventsProvider>
  );
}
