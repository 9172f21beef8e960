import { describe, expect, it } from "vitest";
import { LibpcapCaptureProvider } from "./capture.js";

// Option checks run before the binding loads, so these need neither root nor the native build.
describe("LibpcapCaptureProvider options", () => {
  it.each([
    [{ batchSize: 0 }, 'Capture option "batchSize" is 0; expected an integer from 1 to 65536'],
    [{ batchSize: 1.5 }, 'Capture option "batchSize" is 1.5; expected an integer from 1 to 65536'],
    [{ queueLimit: -1 }, 'Capture option "queueLimit" is -1; expected an integer from 1 to 4000'],
    [{ snapLength: 300000 }, 'Capture option "snapLength" is 300000; expected an integer from 1 to 262144'],
    [{ bufferSize: 1024 }, 'Capture option "bufferSize" is 1024; expected an integer from 65536 to 2147483647'],
    [{ bufferTimeoutMs: 0 }, 'Capture option "bufferTimeoutMs" is 0; expected an integer from 1 to 60000'],
  ])("rejects %j, quoting the value", async (options, message) => {
    const provider = new LibpcapCaptureProvider({ interface: "eth0", ...options });
    await expect(provider.open()).rejects.toThrow(new RangeError(message));
  });

  it("rejects an empty interface name", async () => {
    await expect(new LibpcapCaptureProvider({ interface: "" }).open()).rejects.toThrow(
      'Capture option "interface" is ""; expected a name',
    );
  });

  it("constructs without touching the system, and counts nothing before open()", () => {
    const provider = new LibpcapCaptureProvider({ interface: "does-not-exist0" });
    expect(provider.stats()).toEqual({ received: 0, droppedByKernel: 0, droppedByInterface: 0, droppedByUs: 0 });
    expect(provider.linkType).toBeUndefined();
  });

  it("asks for open() when iterated too early, and allows one consumer at a time", async () => {
    const provider = new LibpcapCaptureProvider({ interface: "does-not-exist0" });
    const first = provider.batches()[Symbol.asyncIterator]();
    expect(() => provider.batches()[Symbol.asyncIterator]()).toThrow(
      'Capture on "does-not-exist0" already has a consumer; batches() allows one at a time',
    );
    await expect(first.next()).rejects.toThrow('Capture on "does-not-exist0" is not open; call open() first');
  });
});
