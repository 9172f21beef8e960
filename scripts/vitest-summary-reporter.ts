import type { Reporter } from "vitest/reporters";

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

/**
 * Ends the run with the plain line "N passed, N failed, N skipped" that CI reads, after
 * Vitest's own summary. Counts tests, not files.
 */
export default class SummaryLineReporter implements Reporter {
  onFinished(files: TaskLike[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const visit = (task: TaskLike) => {
      if (task.tasks) for (const child of task.tasks) visit(child);
      if (task.type !== "test") return;
      const state = task.result?.state;
      if (state === "pass") passed++;
      else if (state === "fail") failed++;
      else skipped++;
    };
    for (const file of files) {
      visit(file);
      // A file that failed to load has no tests but must not read as a pass.
      if (file.result?.state === "fail" && !file.tasks?.length) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
