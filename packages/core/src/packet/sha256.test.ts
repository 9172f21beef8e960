import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256, sha256Hex, sha256HexOfText } from "./sha256.js";

const ascii = (text: string) => new TextEncoder().encode(text);

describe("sha256", () => {
  // FIPS 180-4 / NIST CSRK example vectors.
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ],
    [
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ],
  ])("hashes %j", (text, digest) => {
    expect(sha256Hex(ascii(text))).toBe(digest);
    expect(sha256HexOfText(text)).toBe(digest);
  });

  it("hashes a million a's", () => {
    expect(sha256Hex(new Uint8Array(1_000_000).fill(0x61))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("hashes the JA4 specification's example lists", () => {
    expect(
      sha256HexOfText("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9").slice(0, 12),
    ).toBe("8daaf6152771");
    expect(
      sha256HexOfText(
        "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
      ),
    ).toBe("e5627efa2ab19723084c1033a96c694a45826ab5a460d2d3fd5ffcfe97161c95");
  });

  it("agrees with node:crypto on every length around the block boundaries and on random input", () => {
    for (let n = 0; n <= 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(sha256Hex(data)).toBe(createHash("sha256").update(data).digest("hex"));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (data) => {
        expect(Buffer.from(sha256(data)).toString("hex")).toBe(createHash("sha256").update(data).digest("hex"));
      }),
      { numRuns: 500 },
    );
  });

  it("hashes text as UTF-8", () => {
    expect(sha256HexOfText("é")).toBe(createHash("sha256").update("é", "utf8").digest("hex"));
  });
});
