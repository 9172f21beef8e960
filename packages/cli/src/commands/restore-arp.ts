import { journalHosts, restoreFrames, sendRestore } from "@heimdal/core";
import { FileSpoofJournal, LibpcapInjector } from "@heimdal/platform";
import { parseCommandArgs, printHelp } from "../command-args.js";
import { arpJournalPath, stateDir, wallClock } from "../state-dir.js";

const HELP = `Usage: heimdal restore-arp [--state-dir DIR]

Undoes an interception that did not end cleanly (the process was killed or crashed): reads
the journal of spoofed pairs in the state directory, tells every target the gateway's real
MAC and the gateway every target's, five times, then removes the journal. Does nothing when
there is no journal. The systemd unit runs it after the sensor exits and before it starts.`;

export async function runRestoreArp(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: { "state-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return printHelp(HELP);
  const restored = await restoreFromJournal(new FileSpoofJournal(arpJournalPath(stateDir(values["state-dir"]))));
  process.stdout.write(
    restored === undefined
      ? "heimdal: nothing to restore (no interception journal)\n"
      : `heimdal: restored ${restored.targets} target(s) and the gateway on "${restored.interfaceName}"\n`,
  );
  return 0;
}

/** Sends the restore a journal asks for and clears it; undefined when there is no journal. */
export async function restoreFromJournal(
  journal: FileSpoofJournal,
): Promise<{ interfaceName: string; targets: number } | undefined> {
  const state = journal.load();
  if (!state) return undefined;
  const hosts = journalHosts(state);
  const injector = new LibpcapInjector(state.interfaceName);
  try {
    injector.open();
    await sendRestore(injector, wallClock, restoreFrames(hosts.sensorMac, hosts.gateway, hosts.targets));
  } finally {
    injector.close();
  }
  journal.clear();
  return { interfaceName: state.interfaceName, targets: hosts.targets.length };
}
