import type { Config } from "../../api/types.js";

/** Read-only: what this sensor intercepts and whether it may block, and what the editions mean. */
export function InterceptionCard({ interception }: { interception: Config["interception"] }) {
  return (
    <section className="card" data-testid="interception">
      <h2>Interception and blocking</h2>
      <dl className="facts">
        <dt>Interception</dt>
        <dd>{interception.running ? "Running" : "Not running"}</dd>
        <dt>Blocking</dt>
        <dd data-testid="blocking-state">{interception.blocking ? "Available" : "Off"}</dd>
        <dt>Edition</dt>
        <dd>{interception.edition ?? "not stated"}</dd>
      </dl>
      {!interception.blocking && (
        <p className="block-unavailable-reason" data-testid="blocking-reason">
          {interception.blockingUnavailableReason ?? "Blocking is not available."}
        </p>
      )}
      <p className="muted small">{interception.detail}.</p>
      <p className="muted small">{interception.editions}</p>
    </section>
  );
}
