import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { Block, BlockTarget } from "../api/types.js";
import { formatTime } from "../format.js";
import { useBlocking, useDeviceName } from "../live/lookups.js";

type Scope = "device" | "destination-device" | "destination-all";

const EXPIRIES = [
  { label: "1 hour", ms: 3_600_000 },
  { label: "1 day", ms: 86_400_000 },
  { label: "7 days", ms: 7 * 86_400_000 },
  { label: "until I lift it", ms: 0 },
] as const;

/**
 * "Block…": cut a device off, or block a destination for this device or for all, optionally
 * for a while, after a confirmation that says exactly what will happen. Disabled with the
 * API's reason when this sensor cannot block (no --blocking, or the Free edition).
 */
export function BlockAction({
  deviceId,
  destination,
  onBlocked,
}: {
  deviceId: string;
  destination?: string;
  onBlocked?: () => void;
}) {
  const blocking = useBlocking();
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  if (blocking.kind !== "available") {
    const reason = blocking.kind === "loading" ? "Checking whether this sensor can block…" : blocking.reason;
    return (
      <span className="block-action">
        <button type="button" disabled title={reason} aria-describedby={`block-why-${deviceId}`}>
          Block…
        </button>
        <span className="muted small block-unavailable" id={`block-why-${deviceId}`} data-testid="block-unavailable">
          {reason}
        </span>
      </span>
    );
  }
  return (
    <span className="block-action">
      <button type="button" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        Block…
      </button>
      {open && (
        <BlockForm
          deviceId={deviceId}
          destination={destination ?? ""}
          onCancel={() => setOpen(false)}
          onDone={(text) => {
            setOpen(false);
            setMessage(text);
            onBlocked?.();
          }}
        />
      )}
      {message !== undefined && (
        <span className="action-result block" role="status">
          {message}
        </span>
      )}
    </span>
  );
}

function BlockForm({
  deviceId,
  destination: given,
  onCancel,
  onDone,
}: {
  deviceId: string;
  destination: string;
  onCancel: () => void;
  onDone: (message: string) => void;
}) {
  const deviceName = useDeviceName(deviceId, deviceId);
  const [scope, setScope] = useState<Scope>(given === "" ? "device" : "destination-device");
  const [destination, setDestination] = useState(given);
  const [expiry, setExpiry] = useState<number>(EXPIRIES[0].ms);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const target: BlockTarget =
    scope === "device"
      ? { kind: "device", deviceId }
      : scope === "destination-device"
        ? { kind: "destination", destination: destination.trim(), deviceId }
        : { kind: "destination", destination: destination.trim() };
  const expiryText = EXPIRIES.find((e) => e.ms === expiry)?.label ?? "";
  const what =
    scope === "device"
      ? `Cut ${deviceName} off the network`
      : scope === "destination-device"
        ? `Stop ${deviceName} from reaching ${destination.trim()}`
        : `Stop every device from reaching ${destination.trim()}`;

  const onContinue = (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    if (scope !== "device" && destination.trim() === "") {
      setError("Give the destination to block (a domain or an address).");
      return;
    }
    setConfirming(true);
  };
  const onConfirm = async () => {
    setBusy(true);
    try {
      const body: Record<string, unknown> = { target, reason: `${what} (from the dashboard)` };
      if (expiry > 0) body.expires = new Date(Date.now() + expiry).toISOString();
      const block = await api.send<Block>("POST", "/blocking", body);
      onDone(
        `Blocked: ${what.charAt(0).toLowerCase()}${what.slice(1)}${
          block.expiresAt === null ? " until you lift it" : ` until ${formatTime(block.expiresAt)}`
        }. Lift it in Settings.`,
      );
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  if (confirming) {
    return (
      <div className="inline-form confirm" role="alertdialog" aria-label="Confirm the block">
        <p>
          <strong>{what}</strong> {expiry === 0 ? expiryText : `for ${expiryText}`}?{" "}
          {scope === "device" && "It loses its connection at once."}
        </p>
        <button type="button" className="danger" disabled={busy} onClick={() => void onConfirm()}>
          Confirm block
        </button>
        <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
          Back
        </button>
      </div>
    );
  }
  return (
    <form className="inline-form" onSubmit={onContinue} aria-label="Block">
      <fieldset className="choices">
        <legend>What to block</legend>
        <label>
          <input type="radio" name="scope" checked={scope === "device"} onChange={() => setScope("device")} />
          This device (quarantine: no traffic at all)
        </label>
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope === "destination-device"}
            onChange={() => setScope("destination-device")}
          />
          A destination, for this device
        </label>
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope === "destination-all"}
            onChange={() => setScope("destination-all")}
          />
          A destination, for every device
        </label>
      </fieldset>
      {scope !== "device" && (
        <label>
          Destination
          <input value={destination} onChange={(event) => setDestination(event.target.value)} />
        </label>
      )}
      <label>
        For
        <select
          value={expiry}
          aria-label="Block for how long"
          onChange={(event) => setExpiry(Number(event.target.value))}
        >
          {EXPIRIES.map((e) => (
            <option key={e.label} value={e.ms}>
              {e.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary">
        Continue
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      {error !== undefined && <p className="form-error">{error}</p>}
    </form>
  );
}
