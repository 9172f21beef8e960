/**
 * SHA-256 (FIPS 180-4) in plain TypeScript, for fingerprints such as JA4: core runs where no
 * Node crypto exists, and the inputs are short strings, so a small synchronous version is
 * enough (Web Crypto's digest is asynchronous, which the hot path cannot await).
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const W = new Int32Array(64);
const H = new Int32Array(8);
const TAIL = new Uint8Array(128);

/** SHA-256 digest of `data` (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  H[0] = 0x6a09e667;
  H[1] = 0xbb67ae85;
  H[2] = 0x3c6ef372;
  H[3] = 0xa54ff53a;
  H[4] = 0x510e527f;
  H[5] = 0x9b05688c;
  H[6] = 0x1f83d9ab;
  H[7] = 0x5be0cd19;
  const length = data.length;
  const fullBlocks = length >>> 6;
  for (let b = 0; b < fullBlocks; b++) compress(data, b << 6);
  // Final block(s): the remaining bytes, 0x80, zeros, and the bit length (big-endian, 64 bits).
  const t = length % 64 < 56 ? 64 : 128;
  const tail = TAIL;
  tail.fill(0);
  for (let i = fullBlocks << 6, j = 0; i < length; i++, j++) tail[j] = data[i]!;
  tail[length % 64] = 0x80;
  const bitsHigh = Math.floor(length / 0x20000000); // length * 8 / 2^32
  const bitsLow = (length * 8) >>> 0;
  tail[t - 8] = bitsHigh >>> 24;
  tail[t - 7] = bitsHigh >>> 16;
  tail[t - 6] = bitsHigh >>> 8;
  tail[t - 5] = bitsHigh;
  tail[t - 4] = bitsLow >>> 24;
  tail[t - 3] = bitsLow >>> 16;
  tail[t - 2] = bitsLow >>> 8;
  tail[t - 1] = bitsLow;
  compress(tail, 0);
  if (t === 128) compress(tail, 64);
  const digest = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const h = H[i]!;
    digest[4 * i] = h >>> 24;
    digest[4 * i + 1] = h >>> 16;
    digest[4 * i + 2] = h >>> 8;
    digest[4 * i + 3] = h;
  }
  return digest;
}

const HEX = "0123456789abcdef";

/** Lowercase hex SHA-256 of `data`. */
export function sha256Hex(data: Uint8Array): string {
  const digest = sha256(data);
  let s = "";
  for (let i = 0; i < 32; i++) s += HEX[digest[i]! >>> 4]! + HEX[digest[i]! & 15]!;
  return s;
}

/** WHATWG TextEncoder (every runtime core targets has it; the ES library does not declare it). */
declare const TextEncoder: new () => { encode(input?: string): Uint8Array };

const utf8 = new TextEncoder();

/** Reused for ASCII text (fingerprint strings), which needs no encoder. */
let asciiScratch = new Uint8Array(1024);

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256HexOfText(text: string): string {
  const n = text.length;
  if (asciiScratch.length < n) asciiScratch = new Uint8Array(Math.max(n, asciiScratch.length * 2));
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return sha256Hex(utf8.encode(text));
    asciiScratch[i] = c;
  }
  return sha256Hex(asciiScratch.subarray(0, n));
}

function compress(block: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const j = at + 4 * i;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}
