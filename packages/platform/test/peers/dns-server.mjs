// node dns-server.mjs HOST ANSWER_IP: a minimal authoritative DNS responder over UDP port 53.
// Answers every A question with ANSWER_IP (TTL 60); prints "listening" when ready. RFC 1035 §4.1.
import { createSocket } from "node:dgram";

const [host, answerIp] = process.argv.slice(2);
const socket = createSocket("udp4");
socket.on("message", (query, peer) => {
  if (query.length < 12) return;
  // The question: name labels up to the zero byte, then QTYPE and QCLASS.
  let end = 12;
  while (end < query.length && query[end] !== 0) end += query[end] + 1;
  const questionEnd = end + 5;
  if (questionEnd > query.length) return;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // same ID
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100), 2); // QR, AA, copy RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(1, 6); // ANCOUNT
  const answer = Buffer.alloc(16);
  answer.writeUInt16BE(0xc00c, 0); // pointer to the name in the question
  answer.writeUInt16BE(1, 2); // TYPE A
  answer.writeUInt16BE(1, 4); // CLASS IN
  answer.writeUInt32BE(60, 6); // TTL
  answer.writeUInt16BE(4, 10); // RDLENGTH
  Buffer.from(answerIp.split(".").map(Number)).copy(answer, 12);
  socket.send(Buffer.concat([header, query.subarray(12, questionEnd), answer]), peer.port, peer.address);
});
socket.bind(53, host, () => console.log("listening"));
