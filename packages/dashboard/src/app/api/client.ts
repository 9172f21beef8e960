import type { Session } from "./types.js";

const API = "/api/v1";

/** An answer other than 2xx, with the server's message (which names the field at fault). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** Builds "?a=1&b=x&b=y": repeated parameters for lists, as the API expects. */
export function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/**
 * The API over fetch. The session cookie travels by itself (same origin); the CSRF token
 * from login is kept here, in memory only, and sent on every state-changing request.
 */
export class ApiClient {
  private csrfToken: string | undefined;
  /** Called on any 401, so the app can show the login page again. */
  onUnauthorized: (() => void) | undefined;

  setSession(session: Session | undefined): void {
    this.csrfToken = session?.csrfToken;
  }

  get<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", `${path}${queryString(query)}`, undefined, signal);
  }

  send<T>(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body);
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrfToken !== undefined) headers["x-csrf-token"] = this.csrfToken;
    const init: RequestInit = { method, headers, credentials: "same-origin" };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal !== undefined) init.signal = signal;
    const response = await fetch(`${API}${path}`, init);
    const text = await response.text();
    const json: unknown = text === "" ? null : JSON.parse(text);
    if (!response.ok) {
      if (response.status === 401 && !path.startsWith("/auth/")) this.onUnauthorized?.();
      const error = (json ?? {}) as { message?: string; field?: string };
      throw new ApiError(
        response.status,
        error.message ?? `${method} ${path} failed (${response.status})`,
        error.field,
      );
    }
    return json as T;
  }
}

export const api = new ApiClient();
