import { useState } from "react";
import { api } from "../../api/client.js";
import type { Block } from "../../api/types.js";
import { formatTime } from "../../format.js";
import { useResource } from "../../live/use-resource.js";
import { DeviceName } from "../device-name.js";
import { Empty, Loaded } from "../states.js";

/** Blocks in force, each with "Unblock". Shown only when this sensor can block. */
export function BlocksCard() {
  const resource = useResource((signal) => api.get<{ blocks: Block[] }>("/blocking", {}, signal), []);
  const [error, setError] = useState<string | undefined>();
  const unblock = async (id: string, reload: () => void) => {
    setError(undefined);
    try {
      await api.send("DELETE", `/blocking/${encodeURIComponent(id)}`);
      reload();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <section className="card" data-testid="blocks">
      <h2>Active blocks</h2>
      <Loaded resource={resource} what="blocks">
        {({ blocks }) =>
          blocks.length === 0 ? (
            <Empty title="Nothing is blocked.">Block a device or a destination from an alert or a device's page.</Empty>
          ) : (
            <ul className="plain-list">
              {blocks.map((block) => (
                <li key={block.id} className="exclusion" data-testid="block-row">
                  <span>
                    <strong>
                      <BlockTargetText block={block} />
                    </strong>
                    <span className="muted small block">
                      {block.expiresAt === null ? "until lifted" : `until ${formatTime(block.expiresAt)}`} · by{" "}
                      {block.decidedBy} · {block.reason}
                    </span>
                  </span>
                  <button
                    type="button"
                    onClick={() => void unblock(block.id, resource.kind === "ready" ? resource.reload : () => {})}
                  >
                    Unblock
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      {error !== undefined && <p className="form-error">{error}</p>}
    </section>
  );
}

function BlockTargetText({ block }: { block: Block }) {
  const { target } = block;
  if (target.kind === "device") {
    return (
      <>
        Device <DeviceName id={target.deviceId} fallback={target.deviceId} /> (quarantined)
      </>
    );
  }
  return (
    <>
      <span className="mono">{target.destination}</span>
      {target.deviceId === undefined ? (
        " for every device"
      ) : (
        <>
          {" for "}
          <DeviceName id={target.deviceId} fallback={target.deviceId} />
        </>
      )}
    </>
  );
}
