// node tcp-echo-server.mjs HOST PORT: echoes each connection's bytes back; prints "listening" when ready.
import { createServer } from "node:net";

const [host, port] = process.argv.slice(2);
const server = createServer((socket) => socket.pipe(socket));
server.listen(Number(port), host, () => console.log("listening"));
