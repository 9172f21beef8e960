import { useDeviceName } from "../live/lookups.js";

/** A device as a person knows it: the name they gave, else the discovered one, else `fallback`. Text only. */
export function DeviceName({ id, fallback }: { id: string | null; fallback: string }) {
  return <>{useDeviceName(id, fallback)}</>;
}
