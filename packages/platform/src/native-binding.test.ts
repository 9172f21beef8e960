import { existsSync } from "node:fs";
import { createPacketBatch } from "@heimdal/core";
import { describe, expect, it } from "vitest";
import { listInterfaces } from "./linux/interfaces.js";
import { loadNativeBinding, NATIVE_BINDING_PATH } from "./native-binding.js";

const notBuilt = existsSync(NATIVE_BINDING_PATH)
  ? undefined
  : "the native binding is not built (npm run build:native -w @heimdal/platform)";
const notRoot = process.getuid?.() === 0 ? undefined : "opening a libpcap handle needs CAP_NET_RAW (run as root)";

// These open handles on "lo" of the test's own namespace but never start or send anything.
describe.skipIf(notBuilt)(`native binding${notBuilt ? ` (skipped: ${notBuilt})` : ""}`, () => {
  it("lists interfaces without privileges, loopback included", () => {
    const lo = listInterfaces().find((i) => i.name === "lo");
    expect(lo).toMatchObject({ loopback: true, up: true });
    expect(lo?.addresses).toContain("127.0.0.1");
    expect(loadNativeBinding().libpcapVersion).toMatch(/^libpcap version \d+\.\d+/);
  });

  it("rejects bad options with a coded error that quotes them", () => {
    const { LiveCapture } = loadNativeBinding();
    expect(() => new LiveCapture({ device: "" })).toThrow(
      expect.objectContaining({
        code: "ERR_INVALID_ARG",
        message: 'Option "device" must be a non-empty interface name',
      }),
    );
    expect(() => new LiveCapture({ device: "lo", snapLength: 0 })).toThrow(
      'Option "snapLength" is 0; expected 1 to 262144',
    );
    expect(() => new LiveCapture({ device: "lo", snapLength: -3 })).toThrow(
      'Option "snapLength" must be an integer from 0 to 4294967295',
    );
    expect(() => new LiveCapture({ device: "x".repeat(300) })).toThrow(/^Interface name "x{40}\.\.\." is too long$/);
  });

  describe.skipIf(notRoot)(`handles${notRoot ? ` (skipped: ${notRoot})` : ""}`, () => {
    it("names a missing interface and lists the available ones", () => {
      const { LiveCapture } = loadNativeBinding();
      expect(() => new LiveCapture({ device: "nosuch0" })).toThrow(
        expect.objectContaining({
          code: "ERR_PCAP_NO_SUCH_DEVICE",
          message: expect.stringMatching(/^Cannot open interface "nosuch0": no such device \(available: .*\blo\b.*\)$/),
        }),
      );
    });

    it("quotes a filter libpcap cannot compile", () => {
      const { LiveCapture } = loadNativeBinding();
      expect(() => new LiveCapture({ device: "lo", filter: "tcp port nonsense" })).toThrow(
        expect.objectContaining({
          code: "ERR_PCAP_FILTER",
          message: `Invalid capture filter "tcp port nonsense" on "lo": unknown port 'nonsense'`,
        }),
      );
    });

    it("checks the batches handed to start() and can start after a rejected attempt", () => {
      const { LiveCapture } = loadNativeBinding();
      const capture = new LiveCapture({ device: "lo", snapLength: 2048, filter: "ether proto 0x88b5" });
      try {
        expect(capture).toMatchObject({ device: "lo", linkType: 1, snapLength: 2048 });
        const onBatch = () => 0;
        expect(() => capture.start([], onBatch)).toThrow("start() got 0 batches; expected 1 to 4096");
        expect(() => capture.start([createPacketBatch(4, new Uint8Array(100))], onBatch)).toThrow(
          "Batch 0: data holds 100 bytes; expected 2048 (the snapshot length) to 4294967295",
        );
        const wrongType = { ...createPacketBatch(4, new Uint8Array(4096)), offsets: new Int32Array(4) };
        expect(() => capture.start([wrongType as never], onBatch)).toThrow('Batch 0: "offsets" must be a Uint32Array');
        expect(() => capture.start([createPacketBatch(0, new Uint8Array(4096))], onBatch)).toThrow(
          "Batch 0: header arrays hold 0 packets; expected 1 to 2147483647",
        );
        capture.start([createPacketBatch(4, new Uint8Array(4096))], onBatch);
        expect(() => capture.start([createPacketBatch(4, new Uint8Array(4096))], onBatch)).toThrow(
          'Capture on "lo" is already started',
        );
        expect(capture.stats()).toEqual({
          received: 0,
          kernelReceived: 0,
          droppedByKernel: 0,
          droppedByInterface: 0,
          lost: 0,
        });
      } finally {
        capture.close();
        capture.close();
      }
      expect(() => capture.inject(new Uint8Array(60))).toThrow(
        expect.objectContaining({ code: "ERR_PCAP_CLOSED", message: 'Cannot inject on "lo": the handle is closed' }),
      );
      expect(() => capture.start([createPacketBatch(4, new Uint8Array(4096))], () => 0)).toThrow(
        'Cannot start capture on "lo": it is closed',
      );
    });

    it("rejects frames that are not a non-empty Uint8Array", () => {
      const { LiveCapture } = loadNativeBinding();
      const injector = new LiveCapture({ device: "lo", injectOnly: true, snapLength: 128, bufferSize: 65536 });
      try {
        expect(() => injector.inject(new Uint8Array(0))).toThrow('Cannot inject a 0-byte frame on "lo"');
        expect(() => injector.inject(new Uint16Array(30) as never)).toThrow("inject() needs the frame as a Uint8Array");
      } finally {
        injector.close();
      }
    });
  });
});
