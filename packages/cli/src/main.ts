import { runAnalyze } from "./commands/analyze.js";
import { runDemo } from "./commands/demo.js";
import { UsageError } from "./usage-error.js";

const HELP = `heimdal — network security sensor

Usage: heimdal <command> [options]

Commands:
  analyze [--learn FILE]... FILE... [--format json|text]
                     Replay capture files (pcap or pcapng) through the pipeline and report
                     packets, devices and flows. --learn files are read first to learn from.
  analyze --interface IFACE --duration SECONDS [--filter BPF] [--active-scan] [--format json|text]
                     The same on live traffic for a while (needs CAP_NET_RAW); --active-scan
                     also sweeps the local subnet with ARP, asks mDNS and SSDP, and asks
                     each station found for the TCP ports the type rules read.
  alerts <list|ack|expected> --db FILE …
                     Stored alerts; acknowledge one, or mark it "this was me / expected".
  baseline <export|import|versions|rollback> --db FILE …
                     Back up, restore, inspect and roll back learned baselines.
  demo               Generate a small home-network capture and analyze it.
  run [--config FILE] [--interface IFACE] [--active-scan] [--intercept] …
                     The sensor daemon: live capture, analysis, storage and the dashboard in
                     one supervised process (docs/cli.md, docs/config.md).
  serve --db FILE [--port 8080] [--host 127.0.0.1] …
                     Serve the API (/api/v1) and dashboard from a database (docs/api.md).
  simulate --out FILE [--devices N] [--hours H] [--seed S]
                     Write a simulated home network to a pcap file.
  interfaces         List capture interfaces.
  intercept [--interface IFACE] [--targets A,B] [--exclude A,B] [--duration S] …
                     Stand between the devices and the gateway by ARP interception, with
                     forwarding, guard-rails and restore on stop (CAP_NET_RAW, CAP_NET_ADMIN).
  restore-arp        Undo an interception that was killed (reads its journal).
  block <device MAC|destination DEST|list> [--expires S] [--device MAC] …
  unblock <ID|device MAC|destination DEST>
                     Quarantine a device or block a destination through nftables.

Options:
  -h, --help         Show help (also after a command: heimdal analyze --help).
  --version          Print the version.

Documentation: docs/cli.md, and docs/analyze-json.md for the JSON contract.`;

export const VERSION = "0.1.0";

/** Runs the command line; returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(`${HELP}\n`);
        return 0;
      case "--version":
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case "analyze":
        return await runAnalyze(rest);
      case "demo":
        return await runDemo(rest);
      case "alerts": {
        const { runAlerts } = await import("./commands/alerts.js");
        return await runAlerts(rest);
      }
      case "baseline": {
        const { runBaseline } = await import("./commands/baseline.js");
        return await runBaseline(rest);
      }
      case "run": {
        const { runRun } = await import("./commands/run.js");
        return await runRun(rest);
      }
      case "serve": {
        const { runServe } = await import("./commands/serve.js");
        return await runServe(rest);
      }
      case "simulate": {
        const { runSimulate } = await import("./commands/simulate.js");
        return await runSimulate(rest);
      }
      case "interfaces": {
        const { runInterfaces } = await import("./commands/interfaces.js");
        return await runInterfaces(rest);
      }
      case "intercept": {
        const { runIntercept } = await import("./commands/intercept.js");
        return await runIntercept(rest);
      }
      case "restore-arp": {
        const { runRestoreArp } = await import("./commands/restore-arp.js");
        return await runRestoreArp(rest);
      }
      case "block": {
        const { runBlock } = await import("./commands/block.js");
        return await runBlock(rest);
      }
      case "unblock": {
        const { runUnblock } = await import("./commands/block.js");
        return await runUnblock(rest);
      }
      default:
        throw new UsageError(
          `unknown command "${command}" (commands: analyze, alerts, baseline, demo, run, serve, simulate, interfaces, intercept, restore-arp, block, unblock)`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`heimdal: ${error.message}\nRun "heimdal --help" for usage.\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`heimdal: ${message}\n`);
    return 1;
  }
}
