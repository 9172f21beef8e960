import { randomBytes } from "node:crypto";
import type { StorageProvider } from "@heimdal/core";
import { hashPassword, type PasswordHash, verifyPassword } from "./password.js";

export const ADMIN_USER = "admin";
const KEY = "auth/admin";

/** What ensureAdminCredential did: a generated password is shown once, then only its hash exists. */
export type CredentialOutcome = { source: "given" } | { source: "stored" } | { source: "generated"; password: string };

/**
 * The admin credential, hashed in the key-value store. A password given (environment variable
 * or file, for automated deployments and tests) replaces the stored one; otherwise the stored
 * one stays; with neither, one is generated for the operator to read once on the console.
 */
export async function ensureAdminCredential(kv: StorageProvider, given?: string): Promise<CredentialOutcome> {
  if (given !== undefined) {
    if (given.length < 8) throw new RangeError("The admin password must have at least 8 characters");
    kv.set(KEY, await hashPassword(given));
    return { source: "given" };
  }
  if (kv.get<PasswordHash>(KEY) !== undefined) return { source: "stored" };
  // 18 random bytes: 144 bits, 24 characters of base64url, easy to copy from a terminal.
  const password = randomBytes(18).toString("base64url");
  kv.set(KEY, await hashPassword(password));
  return { source: "generated", password };
}

/** Whether the user name and password are the admin's. Always hashes, so timing tells nothing. */
export async function verifyAdmin(kv: StorageProvider, user: string, password: string): Promise<boolean> {
  const stored = kv.get<PasswordHash>(KEY);
  if (stored === undefined) return false;
  const ok = await verifyPassword(password, stored);
  return ok && user === ADMIN_USER;
}
