import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/** A password as stored: scrypt with its parameters, so they can be raised later. */
export interface PasswordHash {
  algorithm: "scrypt";
  N: number;
  r: number;
  p: number;
  salt: string;
  hash: string;
}

// N = 2^15, r = 8, p = 1: ~32 MiB and ~100 ms per hash on a Raspberry Pi 4 class CPU, within
// RFC 7914's interactive-login guidance and OWASP's scrypt minimum (N ≥ 2^15 at r = 8).
const PARAMETERS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;

function derive(password: string, salt: Buffer, options: { N: number; r: number; p: number }): Promise<Buffer> {
  // maxmem above 128·N·r, which Node's 32 MiB default would refuse at N = 2^15.
  const scryptOptions: ScryptOptions = { ...options, maxmem: 256 * options.N * options.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEY_LENGTH, scryptOptions, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMETERS);
  return { algorithm: "scrypt", ...PARAMETERS, salt: salt.toString("base64"), hash: key.toString("base64") };
}

/** Constant-time comparison of the derived key; false for a malformed stored hash. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.algorithm !== "scrypt") return false;
  const expected = Buffer.from(stored.hash, "base64");
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, Buffer.from(stored.salt, "base64"), stored);
  return timingSafeEqual(key, expected);
}
