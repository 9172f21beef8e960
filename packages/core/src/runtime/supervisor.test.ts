import { describe, expect, it } from "vitest";
import { FakeClock } from "../test-support/fake-clock.test-util.js";
import { RESTART_DELAYS_MS, Supervisor } from "./supervisor.js";

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A component that records its lifecycle and can be made to fail or to refuse to start. */
function flakyComponent(log: string[], startFailures: number) {
  let starts = 0;
  const fails: Array<(error: Error) => void> = [];
  const factory = (fail: (error: Error) => void) => {
    fails.push(fail);
    return {
      start() {
        starts++;
        log.push(`start ${starts}`);
        if (starts <= startFailures) throw new Error(`start ${starts} failed`);
      },
      stop() {
        log.push("stop");
      },
    };
  };
  return { factory, failCurrent: (message: string) => fails.at(-1)!(new Error(message)), failOld: () => fails[0]! };
}

describe("Supervisor", () => {
  it("restarts a component that reports a failure, within 10 seconds, and counts it", async () => {
    const clock = new FakeClock();
    const reports: string[] = [];
    const supervisor = new Supervisor(clock, (name, error, delay) =>
      reports.push(`${name}: ${error.message} (${delay} ms)`),
    );
    const log: string[] = [];
    const component = flakyComponent(log, 0);
    await supervisor.add("interceptor", component.factory);
    expect(supervisor.status()).toEqual([{ name: "interceptor", state: "running", restarts: 0, lastError: null }]);
    component.failCurrent("injector closed");
    expect(supervisor.status()[0]).toMatchObject({ state: "restarting", lastError: "injector closed" });
    clock.advance(RESTART_DELAYS_MS[0]);
    await flush();
    expect(log).toEqual(["start 1", "stop", "start 2"]);
    expect(supervisor.status()[0]).toMatchObject({ state: "running", restarts: 1 });
    expect(reports).toEqual(["interceptor: injector closed (500 ms)"]);
    expect(Math.max(...RESTART_DELAYS_MS)).toBeLessThanOrEqual(10_000);
  });

  it("backs off on repeated failures to start, and ignores a stale instance's late failure", async () => {
    const clock = new FakeClock();
    const supervisor = new Supervisor(clock);
    const log: string[] = [];
    const component = flakyComponent(log, 3);
    await supervisor.add("capture", component.factory);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = log.length;
      while (log.length === before) {
        clock.advance(100);
        await flush();
      }
      times.push(clock.now());
    }
    expect(times).toEqual([500, 1500, 3500]);
    expect(log).toEqual(["start 1", "stop", "start 2", "stop", "start 3", "stop", "start 4"]);
    expect(supervisor.status()[0]).toMatchObject({ state: "running", restarts: 3 });
    component.failOld()(new Error("late")); // the first instance's callback: ignored
    expect(supervisor.status()[0]!.state).toBe("running");
  });

  it("does not restart what was stopped", async () => {
    const clock = new FakeClock();
    const supervisor = new Supervisor(clock);
    const log: string[] = [];
    const component = flakyComponent(log, 0);
    await supervisor.add("scanner", component.factory);
    await supervisor.stop("scanner");
    component.failCurrent("after stop");
    clock.advance(20_000);
    await flush();
    expect(log).toEqual(["start 1", "stop"]);
    expect(supervisor.status()[0]!.state).toBe("stopped");
  });
});
