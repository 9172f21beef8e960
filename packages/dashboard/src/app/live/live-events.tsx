import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import type { LiveEvent } from "../api/types.js";

const EVENT_TYPES = [
  "device_new",
  "device_online",
  "device_offline",
  "device_changed",
  "alert_raised",
  "alert_acknowledged",
  "traffic",
] as const;

/** A burst of events (a capture replayed at once) becomes one refresh, not hundreds. */
const REFRESH_DELAY_MS = 1000;

interface LiveState {
  /** Grows when the data changed: pages reload what they show when it does. */
  version: number;
  connected: boolean;
  /** The newest events, newest first (at most 20). */
  recent: LiveEvent[];
}

const LiveContext = createContext<LiveState>({ version: 0, connected: false, recent: [] });

/**
 * The server-sent event stream. EventSource reconnects by itself and sends Last-Event-ID, so
 * the server replays what was missed; pages just refetch when `version` moves.
 */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<LiveState>({ version: 0, connected: false, recent: [] });

  useEffect(() => {
    const source = new EventSource("/api/v1/events/stream");
    let pending: LiveEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const arrived = pending;
      pending = [];
      setState((s) => ({
        version: s.version + 1,
        connected: true,
        recent: [...arrived.reverse(), ...s.recent].slice(0, 20),
      }));
    };
    const onEvent = (message: MessageEvent<string>) => {
      try {
        pending.push(JSON.parse(message.data) as LiveEvent);
      } catch {
        return; // a malformed message changes nothing we show
      }
      timer ??= setTimeout(flush, REFRESH_DELAY_MS);
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onEvent);
    source.onopen = () => setState((s) => ({ ...s, connected: true }));
    source.onerror = () => setState((s) => ({ ...s, connected: false }));
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      source.close();
    };
  }, []);

  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveState {
  return useContext(LiveContext);
}
