import { createContext, type ReactNode, useContext, useMemo } from "react";
import { api } from "../api/client.js";
import type { Config, DeviceList } from "../api/types.js";
import { useResource } from "./use-resource.js";

/** Whether the Block actions work, and why not when they do not. */
export type BlockingAvailability =
  | { kind: "loading" }
  | { kind: "available" }
  | { kind: "unavailable"; reason: string };

interface Lookups {
  /** Device id → the name to show (the user's, else the discovered one). */
  names: ReadonlyMap<string, string>;
  blocking: BlockingAvailability;
}

const LookupsContext = createContext<Lookups>({ names: new Map(), blocking: { kind: "loading" } });

/**
 * What many cards need and each would otherwise fetch: device names (so alerts, incidents and
 * mutes show "Lucas' phone", not a MAC) and whether blocking is available. Reloaded with the
 * live stream, so a rename on another page shows here too.
 */
export function LookupsProvider({ children }: { children: ReactNode }) {
  const devices = useResource((signal) => api.get<DeviceList>("/devices", { limit: 1000 }, signal), []);
  const config = useResource((signal) => api.get<Config>("/config", {}, signal), []);
  const value = useMemo<Lookups>(() => {
    const names = new Map<string, string>();
    if (devices.kind === "ready") {
      for (const device of devices.data.devices) if (device.name !== null) names.set(device.id, device.name);
    }
    let blocking: BlockingAvailability = { kind: "loading" };
    if (config.kind === "ready") {
      const { interception } = config.data;
      blocking = interception.blocking
        ? { kind: "available" }
        : { kind: "unavailable", reason: interception.blockingUnavailableReason ?? "Blocking is not available." };
    } else if (config.kind === "error") {
      blocking = { kind: "unavailable", reason: `Cannot tell whether blocking is available: ${config.message}` };
    }
    return { names, blocking };
  }, [devices, config]);
  return <LookupsContext.Provider value={value}>{children}</LookupsContext.Provider>;
}

/** The name to show for a device: the user's or discovered name, else `fallback` (its MAC or id). */
export function useDeviceName(id: string | null, fallback: string): string {
  const { names } = useContext(LookupsContext);
  return (id === null ? undefined : names.get(id)) ?? fallback;
}

export function useBlocking(): BlockingAvailability {
  return useContext(LookupsContext).blocking;
}
