/** A NetBIOS name (RFC 1001 §14.1) decoded from its first-level encoding. */
export interface NetbiosName {
  /** The name without its padding, as the host registered it. */
  name: string;
  /** The 16th byte: 0x00 workstation, 0x20 file server, 0x1b/0x1c/0x1e group and domain names. */
  suffix: number;
}

const A = 0x41;

/**
 * Decodes "EOGFGLFDEFCACACACACACACACACACAAA"-style names: 32 letters, each pair one byte
 * (high nibble + 'A', low nibble + 'A'). A scope after the first label is ignored. Returns
 * undefined for anything that is not a valid encoding.
 */
export function decodeNetbiosName(encoded: string): NetbiosName | undefined {
  const label = encoded.split(".")[0] ?? "";
  if (label.length !== 32) return undefined;
  let name = "";
  let suffix = 0;
  for (let i = 0; i < 32; i += 2) {
    const high = label.charCodeAt(i) - A;
    const low = label.charCodeAt(i + 1) - A;
    if (high < 0 || high > 15 || low < 0 || low > 15) return undefined;
    const byte = (high << 4) | low;
    if (i === 30) suffix = byte;
    else name += String.fromCharCode(byte);
  }
  name = name.replace(/[\s\u0000]+$/, "");
  return name === "" ? undefined : { name, suffix };
}
