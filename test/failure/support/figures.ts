import * as fs from "node:fs";
import * as path from "node:path";

const RESULTS_DIR = path.resolve(__dirname, "../../../test-results");

/**
 * The figures of one failure scenario, in `test-results/failure-<name>.json` (git-ignored), for
 * the notes of a change: what was published, delivered, done and given up on. Started afresh by
 * each run of the test file; each test adds its own part (e.g. one per partial batch reading).
 *
 * @example
 * const figures = new FigureFile("broker-kill", { injected: "SIGKILL of the broker mid-stream" });
 * figures.set("failed-records-only", { published: 412, ... });
 */
export class FigureFile {
  readonly file: string;
  private readonly data: Record<string, unknown>;

  constructor(name: string, about: Record<string, unknown>) {
    this.file = path.join(RESULTS_DIR, `failure-${name}.json`);
    this.data = { recordedAt: new Date().toISOString(), ...about };
  }

  set(key: string, figures: unknown): void {
    this.data[key] = figures;
    this.data.recordedAt = new Date().toISOString();
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(this.file, `${JSON.stringify(this.data, null, 2)}\n`);
  }
}
