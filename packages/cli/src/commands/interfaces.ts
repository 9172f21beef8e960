import { listInterfaces } from "@heimdal/platform";

export async function runInterfaces(argv: string[]): Promise<number> {
  const interfaces = listInterfaces();
  if (argv.includes("--format=json") || (argv[0] === "--format" && argv[1] === "json")) {
    process.stdout.write(`${JSON.stringify(interfaces, null, 2)}\n`);
    return 0;
  }
  for (const i of interfaces) {
    const flags = [i.up ? "up" : "down", ...(i.loopback ? ["loopback"] : [])].join(",");
    process.stdout.write(`${i.name.padEnd(16)} ${flags.padEnd(14)} ${i.addresses.join(", ")}\n`);
  }
  return 0;
}
