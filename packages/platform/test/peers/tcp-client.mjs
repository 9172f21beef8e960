// node tcp-client.mjs HOST PORT TEXT: sends TEXT, waits for the same bytes back, closes; prints what came back.
import { connect } from "node:net";

const [host, port, text] = process.argv.slice(2);
const socket = connect(Number(port), host, () => socket.write(text));
let echoed = "";
socket.setEncoding("utf8");
socket.on("data", (chunk) => {
  echoed += chunk;
  if (echoed.length >= text.length) socket.end();
});
socket.on("close", () => console.log(echoed));
socket.setTimeout(5000, () => socket.destroy(new Error("no echo within 5 s")));
