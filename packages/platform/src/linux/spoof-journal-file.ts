import { parseSpoofJournal, type SpoofJournal, type SpoofJournalState } from "@heimdal/core";
import { readJson, removeFile, writeJsonAtomic } from "./file-journal.js";

/** The interception journal as a file in the sensor's state directory (see file-journal.ts). */
export class FileSpoofJournal implements SpoofJournal {
  constructor(readonly path: string) {}

  save(state: SpoofJournalState): void {
    writeJsonAtomic(this.path, state);
  }

  load(): SpoofJournalState | undefined {
    const json = readJson(this.path);
    return json === undefined ? undefined : parseSpoofJournal(json, this.path);
  }

  clear(): void {
    removeFile(this.path);
  }
}
