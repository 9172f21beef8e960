import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { descriptionUrl, MAX_DESCRIPTION_BYTES, parseUpnpDescription } from "./upnp-description.js";

const SONOS = `<?xml version="1.0" encoding="utf-8" ?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>
    <friendlyName>192.168.1.30 - Sonos One - RINCON_48A6B8</friendlyName>
    <manufacturer>Sonos, Inc.</manufacturer>
    <modelNumber>S18</modelNumber>
    <modelName>Sonos One</modelName>
    <deviceList>
      <device>
        <deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>
        <friendlyName>Kitchen - Sonos One Media Renderer</friendlyName>
        <manufacturer>Embedded Maker</manufacturer>
      </device>
    </deviceList>
  </device>
</root>`;

describe("parseUpnpDescription", () => {
  it("reads the root device's name, maker, model and type, not an embedded device's", () => {
    expect(parseUpnpDescription(SONOS)).toEqual({
      friendlyName: "192.168.1.30 - Sonos One - RINCON_48A6B8",
      manufacturer: "Sonos, Inc.",
      modelName: "Sonos One",
      modelNumber: "S18",
      deviceType: "urn:schemas-upnp-org:device:ZonePlayer:1",
    });
  });

  it("takes namespace prefixes and attributes, decodes entities, drops control characters", () => {
    const xml =
      '<u:root><u:device id="1"><u:friendlyName lang="en">Living&#32;Room &amp; TV\u0007\n </u:friendlyName>' +
      "<u:manufacturer>&lt;Samsung&gt; &#x263A; &bogus;</u:manufacturer></u:device></u:root>";
    expect(parseUpnpDescription(xml)).toEqual({
      friendlyName: "Living Room & TV",
      manufacturer: "<Samsung> ☺ &bogus;",
      modelName: null,
      modelNumber: null,
      deviceType: null,
    });
  });

  it("says null without a device element, and leaves out empty or missing fields", () => {
    expect(parseUpnpDescription("<html><body>Not found</body></html>")).toBeNull();
    expect(parseUpnpDescription("<device><friendlyName>  </friendlyName></device>")).toMatchObject({
      friendlyName: null,
    });
  });

  it("reads only the first 64 KiB and cuts each field to 128 characters", () => {
    const long = "x".repeat(1000);
    expect(parseUpnpDescription(`<device><modelName>${long}</modelName></device>`)?.modelName).toBe("x".repeat(128));
    const late = `<device>${" ".repeat(MAX_DESCRIPTION_BYTES)}<modelName>late</modelName></device>`;
    expect(parseUpnpDescription(late)?.modelName).toBeNull();
  });

  it("property: never throws; fields are short, trimmed and free of control characters", () => {
    const fragment = fc.oneof(
      fc.string(),
      fc.constantFrom("<device>", "</device>", "<friendlyName>", "</friendlyName>", "<modelName>", "&amp;", "&#0;"),
      fc.constantFrom("&#x110000;", "&#xD800;", "<deviceList>", "<a:device x='1'>", "\u0000", "\u009f"),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (parts) => {
        const result = parseUpnpDescription(parts.join(""));
        for (const value of Object.values(result ?? {})) {
          if (value === null) continue;
          expect(value.length).toBeGreaterThan(0);
          expect(value.length).toBeLessThanOrEqual(128);
          expect(value).toBe(value.trim());
          expect(value).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("descriptionUrl", () => {
  it("accepts plain HTTP to the announcing device's own address, with its port and path", () => {
    expect(descriptionUrl("http://192.168.1.30:1400/xml/device_description.xml", "192.168.1.30")).toEqual({
      url: "http://192.168.1.30:1400/xml/device_description.xml",
    });
    expect(descriptionUrl(" HTTP://192.168.1.30/ ", "192.168.1.30")).toEqual({ url: "http://192.168.1.30:80/" });
    expect(descriptionUrl("http://192.168.1.30", "192.168.1.30")).toEqual({ url: "http://192.168.1.30:80/" });
  });

  it.each([
    ["http://192.168.1.1/admin", "another host"],
    ["http://192.168.1.30@192.168.1.1/", "user part"],
    ["http://router.local/desc.xml", "a name to resolve"],
    ["https://192.168.1.30/desc.xml", "not plain HTTP"],
    ["file:///etc/passwd", "another scheme"],
    ["http://[fe80::1]/desc.xml", "IPv6"],
    ["http://192.168.001.030/desc.xml", "leading zeros"],
    ["http://192.168.1.30:70000/desc.xml", "port out of range"],
    ["http://192.168.1.30:0/desc.xml", "port zero"],
    [`http://192.168.1.30/${"a".repeat(600)}`, "a path too long"],
    ["http://192.168.1.30/a b", "a space in the path"],
  ])("refuses %j (%s)", (location) => {
    expect(descriptionUrl(location, "192.168.1.30")).toHaveProperty("refused");
  });

  it("property: an accepted URL always names the source address itself", () => {
    fc.assert(
      fc.property(fc.oneof(fc.webUrl(), fc.string()), fc.ipV4(), (location, source) => {
        const result = descriptionUrl(location, source);
        if ("url" in result) expect(new URL(result.url).hostname).toBe(source);
      }),
      { numRuns: 500 },
    );
  });
});
