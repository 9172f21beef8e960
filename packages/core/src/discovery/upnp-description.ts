/**
 * The UPnP device description that a device's SSDP LOCATION points at (UPnP Device
 * Architecture 1.1 §2.3): its friendly name (often the name its owner gave it, "Living Room
 * TV"), maker, model and device type.
 *
 * Everything here is attacker-controlled. The LOCATION is only followed when it names the
 * announcing device itself, by its own IPv4 address over plain HTTP (no other host, no user
 * part, no name to resolve), so a device cannot make the sensor fetch from anywhere else. The
 * XML is read with bounded regular expressions over at most MAX_DESCRIPTION_BYTES, never with
 * a parser that would resolve entities or load anything.
 */

/** Descriptions are a few kilobytes; anything past this is not read. */
export const MAX_DESCRIPTION_BYTES = 65_536;
/** Longer than any real friendly name (UDA: < 64 characters) or model name (< 32). */
const MAX_FIELD_LENGTH = 128;
const MAX_PATH_LENGTH = 512;

export interface UpnpDescription {
  friendlyName: string | null;
  manufacturer: string | null;
  modelName: string | null;
  modelNumber: string | null;
  /** The root device's type, "urn:schemas-upnp-org:device:MediaRenderer:1". */
  deviceType: string | null;
}

/**
 * The URL to fetch for a LOCATION header announced from `sourceIp`, or why it is refused.
 * Accepted: `http://A.B.C.D[:port][/path]` where A.B.C.D is `sourceIp` itself.
 */
export function descriptionUrl(location: string, sourceIp: string): { url: string } | { refused: string } {
  const match = /^http:\/\/(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?(\/[^\s#]*)?$/i.exec(location.trim());
  if (!match) return { refused: "not http:// to an IPv4 address" };
  const [, host, port, path = "/"] = match;
  if (host !== sourceIp) return { refused: `names ${host}, not the announcing device ${sourceIp}` };
  const portNumber = port === undefined ? 80 : Number(port);
  if (!(portNumber >= 1 && portNumber <= 65_535)) return { refused: `port ${port} is out of range` };
  if (path.length > MAX_PATH_LENGTH) return { refused: `path longer than ${MAX_PATH_LENGTH} characters` };
  return { url: `http://${host}:${portNumber}${path}` };
}

/** The root device's fields, or null when the text holds no `<device>` element. */
export function parseUpnpDescription(xml: string): UpnpDescription | null {
  const text = xml.length > MAX_DESCRIPTION_BYTES ? xml.slice(0, MAX_DESCRIPTION_BYTES) : xml;
  const open = /<(?:[A-Za-z_][\w.-]*:)?device(?:\s[^>]*)?>/i.exec(text);
  if (!open) return null;
  let root = text.slice(open.index + open[0].length);
  // The root device's own fields come before the deviceList of its embedded devices.
  const embedded = root.search(/<(?:[A-Za-z_][\w.-]*:)?deviceList[\s>/]/i);
  if (embedded !== -1) root = root.slice(0, embedded);
  const field = (name: string): string | null => {
    const m = new RegExp(
      `<(?:[A-Za-z_][\\w.-]*:)?${name}(?:\\s[^>]*)?>([^<]{0,1024})</(?:[A-Za-z_][\\w.-]*:)?${name}\\s*>`,
      "i",
    ).exec(root);
    return m ? clean(m[1]!) : null;
  };
  return {
    friendlyName: field("friendlyName"),
    manufacturer: field("manufacturer"),
    modelName: field("modelName"),
    modelNumber: field("modelNumber"),
    deviceType: field("deviceType"),
  };
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Entities decoded, control characters dropped, whitespace collapsed, cut to MAX_FIELD_LENGTH; null if empty. */
function clean(raw: string): string | null {
  const decoded = raw.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,4}));/gi, (whole, dec, hex, name) => {
    if (name !== undefined) return ENTITIES[name.toLowerCase()] ?? whole;
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex, 16);
    return code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? "" : String.fromCodePoint(code);
  });
  const text = decoded
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return null;
  return text.length > MAX_FIELD_LENGTH ? text.slice(0, MAX_FIELD_LENGTH) : text;
}
