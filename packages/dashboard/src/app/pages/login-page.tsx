import { type FormEvent, useState } from "react";
import { ApiError } from "../api/client.js";
import { useSession } from "../session.js";

export function LoginPage() {
  const { login } = useSession();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(password);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) setError("That password is not right.");
      else if (caught instanceof ApiError && caught.status === 429) setError(caught.message);
      else setError(caught instanceof Error ? caught.message : String(caught));
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form className="card login-card" onSubmit={(event) => void onSubmit(event)}>
        <h1>Heimdal</h1>
        <p className="muted">Your home network's sensor. Log in as admin.</p>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            required
          />
        </label>
        {error !== undefined && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || password === ""}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="muted small">
          The password was printed once when the sensor first started, or set with HEIMDAL_ADMIN_PASSWORD.
        </p>
      </form>
    </div>
  );
}
