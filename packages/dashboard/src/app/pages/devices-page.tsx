import { useEffect, useState } from "react";
import { api } from "../api/client.js";
import type { DeviceList } from "../api/types.js";
import { DeviceIcon } from "../components/device-icon.js";
import { Empty, Loaded } from "../components/states.js";
import { formatAgo, humanize } from "../format.js";
import { useResource } from "../live/use-resource.js";
import { devicePath, Link } from "../router.js";

/** Typing is debounced so a search is one request, not one per key. */
const SEARCH_DELAY_MS = 250;

export function DevicesPage() {
  const [text, setText] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setSearch(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const resource = useResource(
    (signal) => api.get<DeviceList>("/devices", { limit: 1000, search: search === "" ? undefined : search }, signal),
    [search],
  );

  return (
    <>
      <h1>Devices</h1>
      <input
        type="search"
        className="search"
        placeholder="Search name, label, vendor, MAC or address"
        aria-label="Search devices"
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
      <Loaded resource={resource} what="devices">
        {(list) =>
          list.devices.length === 0 ? (
            search === "" ? (
              <Empty title="No devices yet.">Devices appear as soon as the sensor sees their traffic.</Empty>
            ) : (
              <Empty title={`No device matches "${search}".`} />
            )
          ) : (
            <DeviceTable list={list} />
          )
        }
      </Loaded>
    </>
  );
}

function DeviceTable({ list }: { list: DeviceList }) {
  const newest = Math.max(0, ...list.devices.map((d) => d.lastSeen));
  return (
    <>
      <p className="muted" data-testid="device-count">
        {list.total} {list.total === 1 ? "device" : "devices"}
      </p>
      <table className="table devices-table">
        <thead>
          <tr>
            <th>Device</th>
            <th>Vendor</th>
            <th>Address</th>
            <th>Status</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {list.devices.map((device) => (
            <tr key={device.id} data-testid="device-row">
              <td data-label="Device">
                <span className="device-name">
                  <DeviceIcon type={device.type} />
                  <span>
                    <Link to={devicePath(device.id)}>{device.name ?? device.mac}</Link>
                    {device.label !== null && <span className="badge label">{device.label}</span>}
                    <span className="muted small block">
                      {humanize(device.type)}
                      {device.role === "gateway" && " · gateway"}
                    </span>
                  </span>
                </span>
              </td>
              <td data-label="Vendor">{device.vendor ?? (device.randomizedMac ? "private MAC" : "unknown")}</td>
              <td data-label="Address" className="mono">
                {device.addresses[0] ?? "—"}
              </td>
              <td data-label="Status">
                <span className={device.online ? "status online" : "status offline"}>
                  {device.online ? "online" : "offline"}
                </span>
                {device.openAlerts > 0 && (
                  <span className="badge severity-medium">
                    {device.openAlerts} {device.openAlerts === 1 ? "alert" : "alerts"}
                  </span>
                )}
              </td>
              <td data-label="Last seen">{formatAgo(device.lastSeen, newest)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
