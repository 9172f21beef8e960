#!/usr/bin/env node
/**
 * A client of the sensor's API for tests that run the sensor in a network namespace: started
 * in the same namespace (`ip netns exec NS node api-watch.mjs URL`), it logs in as admin with
 * $HEIMDAL_ADMIN_PASSWORD, follows the live event stream and reads /devices and /status once
 * a second (and /config), printing one JSON line per thing it learns:
 *   {"event":"login","status":200}
 *   {"event":"sse","id":"3","type":"device_new","data":{…},"at":ms}
 *   {"event":"devices","devices":[…],"at":ms}
 *   {"event":"status","capture":{…},"components":[…],"at":ms}
 *   {"event":"config","interception":{…},"at":ms}
 *   {"event":"error","message":"…"}
 * It runs until killed.
 */
const base = process.argv[2];
if (!base) {
  process.stderr.write("usage: api-watch.mjs URL\n");
  process.exit(2);
}
const say = (record) => process.stdout.write(`${JSON.stringify({ ...record, at: Date.now() })}\n`);

const login = await fetch(`${base}/api/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: "admin", password: process.env.HEIMDAL_ADMIN_PASSWORD ?? "" }),
});
say({ event: "login", status: login.status });
if (login.status !== 200) process.exit(1);
const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];

async function followStream() {
  const response = await fetch(`${base}/api/v1/events/stream`, { headers: { cookie } });
  say({ event: "stream", status: response.status });
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      const fields = {};
      for (const line of message.split("\n")) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue; // comments (keep-alives) start with ":"
        fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      if (fields.data !== undefined)
        say({ event: "sse", id: fields.id, type: fields.event, data: JSON.parse(fields.data) });
    }
  }
  say({ event: "stream-ended" });
}

async function poll() {
  for (;;) {
    try {
      const devices = await (await fetch(`${base}/api/v1/devices?limit=1000`, { headers: { cookie } })).json();
      say({ event: "devices", devices: devices.devices });
      const status = await (await fetch(`${base}/api/v1/status`, { headers: { cookie } })).json();
      say({ event: "status", capture: status.capture, components: status.components, counts: status.counts });
      const config = await (await fetch(`${base}/api/v1/config`, { headers: { cookie } })).json();
      say({ event: "config", interception: config.interception });
    } catch (error) {
      say({ event: "error", message: String(error) });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

followStream().catch((error) => say({ event: "error", message: `stream: ${error}` }));
await poll();
