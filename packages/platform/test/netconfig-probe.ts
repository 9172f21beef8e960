/**
 * Prints what detectNetwork() finds in the network namespace it runs in, as one JSON line:
 * {"network": NetworkInfo} or {"error": {"name", "message"}}. Run inside a namespace with
 * `ip netns exec NS node vite-node.mjs --config vitest.config.ts netconfig-probe.ts`.
 */
import { detectNetwork } from "@heimdal/platform";

try {
  process.stdout.write(`${JSON.stringify({ network: detectNetwork() })}\n`);
} catch (error) {
  const e = error as Error;
  process.stdout.write(`${JSON.stringify({ error: { name: e.name, message: e.message } })}\n`);
}
