/**
 * Runs components and restarts one that fails, with backoff, without restarting the
 * process. A component reports its own failure through the `fail` callback it is built
 * with; a component that ends deliberately (stopped by a person, or by its own guard-rail)
 * is not a failure and is not restarted.
 */
import type { ScanClock } from "../discovery/active-scanner.js";

export interface SupervisedComponent {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface ComponentStatus {
  name: string;
  state: "starting" | "running" | "restarting" | "stopped";
  restarts: number;
  lastError: string | null;
}

/** Builds a fresh instance; calling `fail` marks that instance failed and schedules a restart. */
export type ComponentFactory = (fail: (error: Error) => void) => SupervisedComponent;

/** Restart delays in ms, the last one repeating: every restart happens within 10 s. */
export const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 8000] as const;

interface Entry {
  status: ComponentStatus;
  factory: ComponentFactory;
  instance: SupervisedComponent | undefined;
  timer: unknown;
  generation: number;
}

export class Supervisor {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly clock: ScanClock,
    private readonly report: (name: string, error: Error, restartInMs: number) => void = () => {},
    private readonly delaysMs: readonly number[] = RESTART_DELAYS_MS,
  ) {}

  /** Starts a component under supervision; a start that throws counts as a failure. */
  async add(name: string, factory: ComponentFactory): Promise<void> {
    if (this.#entries.has(name)) throw new Error(`Component "${name}" is already supervised`);
    const entry: Entry = {
      status: { name, state: "starting", restarts: 0, lastError: null },
      factory,
      instance: undefined,
      timer: undefined,
      generation: 0,
    };
    this.#entries.set(name, entry);
    await this.#launch(entry);
  }

  /** Stops a component for good (no restart). */
  async stop(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return;
    entry.generation++;
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.status.state = "stopped";
    const instance = entry.instance;
    entry.instance = undefined;
    await instance?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((name) => this.stop(name)));
  }

  status(): ComponentStatus[] {
    return [...this.#entries.values()].map((e) => ({ ...e.status }));
  }

  async #launch(entry: Entry): Promise<void> {
    const generation = ++entry.generation;
    const fail = (error: Error) => {
      if (entry.generation === generation) this.#failed(entry, error);
    };
    try {
      const instance = entry.factory(fail);
      entry.instance = instance;
      await instance.start();
      if (entry.generation === generation && entry.status.state !== "restarting") entry.status.state = "running";
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #failed(entry: Entry, error: Error): void {
    entry.generation++; // later calls of this instance's fail() are ignored
    entry.status.state = "restarting";
    entry.status.lastError = error.message;
    const failed = entry.instance;
    entry.instance = undefined;
    Promise.resolve(failed?.stop()).catch(() => undefined);
    const delay = this.delaysMs[Math.min(entry.status.restarts, this.delaysMs.length - 1)] ?? 1000;
    this.report(entry.status.name, error, delay);
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      entry.status.restarts++;
      entry.status.state = "starting";
      void this.#launch(entry);
    }, delay);
  }
}
