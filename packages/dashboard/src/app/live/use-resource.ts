import { useCallback, useEffect, useRef, useState } from "react";
import { useLive } from "./live-events.js";

export type Resource<T> =
  | { kind: "loading" }
  | { kind: "error"; message: string; reload: () => void }
  | { kind: "ready"; data: T; reload: () => void; refreshing: boolean };

/**
 * Loads something from the API and loads it again when the live stream says the data changed
 * (or when `deps` change). While it reloads, the old data stays on screen: no flicker.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const { version } = useLive();
  const [state, setState] = useState<Resource<T>>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const loadRef = useRef(load);
  loadRef.current = load;
  const depsKey = JSON.stringify(deps);
  const previousKey = useRef(depsKey);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload on live changes, retries and new inputs
  useEffect(() => {
    const controller = new AbortController();
    const inputsChanged = previousKey.current !== depsKey;
    previousKey.current = depsKey;
    setState((s) => (s.kind === "ready" && !inputsChanged ? { ...s, refreshing: true } : { kind: "loading" }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ kind: "ready", data, reload, refreshing: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ kind: "error", message: error instanceof Error ? error.message : String(error), reload });
      },
    );
    return () => controller.abort();
  }, [version, attempt, depsKey, reload]);

  return state;
}
