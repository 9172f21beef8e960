// node udp-send.mjs HOST PORT COUNT PREFIX: sends COUNT datagrams "PREFIX-<i>" in order, one at a time.
import { createSocket } from "node:dgram";

const [host, port, count, prefix] = process.argv.slice(2);
const socket = createSocket("udp4");
for (let i = 0; i < Number(count); i++) {
  await new Promise((resolve, reject) =>
    socket.send(`${prefix}-${i}`, Number(port), host, (error) => (error ? reject(error) : resolve())),
  );
}
socket.close();
