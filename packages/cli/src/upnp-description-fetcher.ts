/**
 * Part of the active scan: fetches the UPnP description that a device's SSDP LOCATION points
 * at and hands what it says (friendly name, maker, model, device type) to the device map.
 *
 * A device chooses its LOCATION, so the fetch is held on a short leash: only the announcing
 * device's own address inside the scanned subnet (core's descriptionUrl), plain HTTP, no
 * redirects, at most MAX_DESCRIPTION_BYTES read, a timeout, two fetches at a time, and each
 * device at most once a day.
 */
import { descriptionUrl, MAX_DESCRIPTION_BYTES, parseUpnpDescription, type UpnpDescription } from "@heimdal/core";

export interface UpnpDescriptionFetcherOptions {
  /** Whether an IPv4 address is inside the scanned subnet (and not the sensor's own). */
  inSubnet(ip: string): boolean;
  /** Hands a description to the device map. */
  apply(deviceId: string, description: UpnpDescription): void;
  /** Told of each fetch that failed or was refused (stderr in the CLI). */
  onProblem?(deviceId: string, message: string): void;
  timeoutMs?: number;
  /** Milliseconds before the same device's description is fetched again (default a day). */
  refetchAfterMs?: number;
  maxConcurrent?: number;
  now?: () => number;
}

export interface UpnpFetcherHealth {
  fetched: number;
  failed: number;
  refused: number;
}

const DAY_MS = 86_400_000;
/** Devices remembered at most; the oldest are forgotten first. */
const MAX_REMEMBERED = 4096;

export class UpnpDescriptionFetcher {
  readonly #lastTried = new Map<string, number>();
  readonly #queue: { deviceId: string; url: string }[] = [];
  readonly #controllers = new Set<AbortController>();
  #active = 0;
  #stopped = false;
  readonly #health: UpnpFetcherHealth = { fetched: 0, failed: 0, refused: 0 };

  constructor(private readonly options: UpnpDescriptionFetcherOptions) {}

  /** A LOCATION a device announced from `sourceIp`: fetched soon unless refused or fetched lately. */
  offer(deviceId: string, location: string, sourceIp: string): void {
    if (this.#stopped) return;
    const now = this.options.now?.() ?? Date.now();
    const last = this.#lastTried.get(deviceId);
    if (last !== undefined && now - last < (this.options.refetchAfterMs ?? DAY_MS)) return;
    this.#lastTried.delete(deviceId);
    this.#lastTried.set(deviceId, now);
    if (this.#lastTried.size > MAX_REMEMBERED) this.#lastTried.delete(this.#lastTried.keys().next().value as string);
    const checked = descriptionUrl(location, sourceIp);
    if ("refused" in checked) this.#refuse(deviceId, location, checked.refused);
    else if (!this.options.inSubnet(sourceIp)) this.#refuse(deviceId, location, "outside the scanned subnet");
    else {
      this.#queue.push({ deviceId, url: checked.url });
      this.#pump();
    }
  }

  #refuse(deviceId: string, location: string, why: string): void {
    this.#health.refused++;
    this.options.onProblem?.(deviceId, `UPnP LOCATION ${JSON.stringify(location.slice(0, 200))} refused: ${why}`);
  }

  /** Takes offers again after stop() (a restarted scan). */
  resume(): void {
    this.#stopped = false;
  }

  /** Abandons fetches in flight and takes no more until resume(). */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    for (const controller of this.#controllers) controller.abort();
  }

  health(): UpnpFetcherHealth {
    return { ...this.#health };
  }

  /** Resolves when nothing is queued or in flight (for tests). */
  async idle(): Promise<void> {
    while (this.#active > 0 || this.#queue.length > 0) await new Promise((r) => setTimeout(r, 10));
  }

  #pump(): void {
    while (!this.#stopped && this.#active < (this.options.maxConcurrent ?? 2) && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#active++;
      void this.#fetch(job.deviceId, job.url).finally(() => {
        this.#active--;
        this.#pump();
      });
    }
  }

  async #fetch(deviceId: string, url: string): Promise<void> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 3000);
    try {
      const response = await fetch(url, { redirect: "manual", signal: controller.signal });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      const description = parseUpnpDescription(await readCapped(response, MAX_DESCRIPTION_BYTES));
      if (description === null) throw new Error("no <device> element");
      if (this.#stopped) return;
      this.#health.fetched++;
      this.options.apply(deviceId, description);
    } catch (error) {
      if (this.#stopped) return;
      this.#health.failed++;
      const reason = controller.signal.aborted ? "timed out" : error instanceof Error ? error.message : String(error);
      this.options.onProblem?.(deviceId, `UPnP description ${url}: ${reason}`);
    } finally {
      clearTimeout(timer);
      this.#controllers.delete(controller);
    }
  }
}

/** The body as text, reading no more than `limit` bytes (the rest is cancelled, not read). */
async function readCapped(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}
