import { useEffect, useMemo, useState } from "react";
import { api } from "../api/client.js";
import type { DeviceList, FlowList, TrafficNow } from "../api/types.js";
import { NetworkMap } from "../components/network-map.js";
import { buildMapData, matchesSearch } from "../components/network-map-data.js";
import { Empty, Loaded } from "../components/states.js";
import { formatBytes, formatTime } from "../format.js";
import { useResource } from "../live/use-resource.js";

const WINDOW_MINUTES = 60;
const MINUTE_MS = 60_000;

interface MapResources {
  devices: DeviceList;
  now: TrafficNow;
  flows: FlowList;
}

/** Phone-sized screens get the one-column map (the same breakpoint as the stylesheet's). */
function useNarrow(): boolean {
  const query = "(max-width: 640px)";
  const [narrow, setNarrow] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setNarrow(list.matches);
    list.addEventListener("change", onChange);
    return () => list.removeEventListener("change", onChange);
  }, []);
  return narrow;
}

/** The network at a glance: the gateway, devices by type, and where the last hour's traffic went. Live. */
export function NetworkMapPage() {
  const resource = useResource<MapResources>(async (signal) => {
    const [devices, now] = await Promise.all([
      api.get<DeviceList>("/devices", { limit: 1000 }, signal),
      api.get<TrafficNow>("/traffic/now", { minutes: WINDOW_MINUTES, limit: 1000 }, signal),
    ]);
    const flows =
      now.asOf === null
        ? { total: 0, flows: [] }
        : await api.get<FlowList>("/flows", { from: now.asOf - WINDOW_MINUTES * MINUTE_MS, limit: 1000 }, signal);
    return { devices, now, flows };
  }, []);
  return (
    <>
      <h1>Network map</h1>
      <Loaded resource={resource} what="the network map">
        {(data) => <MapView {...data} />}
      </Loaded>
    </>
  );
}

function MapView({ devices, now, flows }: MapResources) {
  const narrow = useNarrow();
  const [search, setSearch] = useState("");
  const data = useMemo(() => buildMapData(devices.devices, now, flows.flows), [devices, now, flows]);
  const matches = useMemo(
    () => new Set(devices.devices.filter((d) => matchesSearch(d, search)).map((d) => d.id)),
    [devices, search],
  );
  if (devices.devices.length === 0)
    return <Empty title="No devices yet.">Devices appear on the map as soon as the sensor hears them.</Empty>;
  const searching = search.trim() !== "";
  return (
    <section className="card map-card">
      <div className="map-toolbar">
        <input
          type="search"
          className="search"
          placeholder="Find a device by name, vendor, MAC or address"
          aria-label="Find a device on the map"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <span className="muted small" data-testid="map-summary">
          <span data-testid="map-device-count">{data.deviceCount} devices</span> in {data.groups.length} groups
          {searching && ` · ${matches.size} found`}
          {now.asOf === null
            ? " · no recent traffic yet"
            : ` · ${formatBytes(now.network.bytes)} in the ${now.windowMinutes} minutes up to ${formatTime(now.asOf)}`}
        </span>
      </div>
      <div className="map-scroll">
        <NetworkMap data={data} narrow={narrow} matches={matches} searching={searching} />
      </div>
      <p className="muted small">
        Line weight follows bytes in the window. Click a group to open or close it, a device to see its page; point at a
        device to see where its traffic went.
      </p>
    </section>
  );
}
