import * as fs from "node:fs";
import * as path from "node:path";
import { StalePlanError } from "./errors";

/** A file to write, relative to the repository root, `/`-separated. */
export interface PlannedFile {
  readonly path: string;
  readonly text: string;
}

/** What a scaffolding command writes into a repository. */
export interface FilePlan {
  readonly root: string;
  readonly created: readonly PlannedFile[];
  /** Files that exist and change; `before` is their text when planned, checked again before writing. */
  readonly changed: readonly (PlannedFile & { readonly before: string })[];
}

/** A plan, or why there is none. */
export type PlanOutcome<Plan> =
  | { readonly ok: true; readonly plan: Plan }
  | {
      readonly ok: false;
      /** Every problem, formatted as the model formats its issues. */
      readonly problems: readonly string[];
      /** Those of `problems` the topology had before. */
      readonly existing: ReadonlySet<string>;
    };

/**
 * Writes a plan: new files first (never over an existing one), the changed ones last. `derived`,
 * if given, runs once they are in place and returns more files to write from them (the catalog
 * generated from the new sources); those are written with the plan's. If anything fails, what
 * was written is taken back: created files and folders removed, changed files restored.
 */
export function writePlan(plan: FilePlan, derived?: () => readonly PlannedFile[]): void {
  const createdFiles: string[] = [];
  const createdDirs: string[] = [];
  const restored: { file: string; text: string }[] = [];
  const create = (file: PlannedFile) => {
    const absolute = path.join(plan.root, file.path);
    const dir = fs.mkdirSync(path.dirname(absolute), { recursive: true });
    if (dir) createdDirs.push(dir);
    fs.writeFileSync(absolute, file.text, { flag: "wx" });
    createdFiles.push(absolute);
  };
  const change = (file: PlannedFile & { readonly before: string }) => {
    const absolute = path.join(plan.root, file.path);
    // Renamed into place, so the file is never seen half-written.
    const temporary = `${absolute}.scaffold-${process.pid}`;
    fs.writeFileSync(temporary, file.text, { flag: "wx" });
    createdFiles.push(temporary);
    restored.push({ file: absolute, text: file.before });
    fs.renameSync(temporary, absolute);
    createdFiles.pop();
  };
  try {
    for (const file of plan.changed) {
      if (fs.readFileSync(path.join(plan.root, file.path), "utf8") !== file.before) {
        throw new StalePlanError(`${file.path} changed while this was being planned; run the command again.`);
      }
    }
    plan.created.forEach(create);
    plan.changed.forEach(change);
    for (const file of derived?.() ?? []) {
      const absolute = path.join(plan.root, file.path);
      if (!fs.existsSync(absolute)) create(file);
      else change({ ...file, before: fs.readFileSync(absolute, "utf8") });
    }
  } catch (error) {
    for (const { file, text } of restored.reverse()) fs.writeFileSync(file, text);
    for (const file of createdFiles.reverse()) fs.rmSync(file, { force: true });
    for (const dir of createdDirs.reverse()) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What a dry run prints of a plan: every file it would create, and the lines a changed file gains and loses. */
export function previewPlan(plan: FilePlan): string[] {
  const changes = plan.changed.flatMap((file) => {
    const before = file.before.split("\n");
    const after = file.text.split("\n");
    return [
      `--- would change ${file.path}`,
      ...before.filter((line) => !after.includes(line)).map((line) => `- ${line}`),
      ...after.filter((line) => !before.includes(line)).map((line) => `+ ${line}`),
      "",
    ];
  });
  return [...plan.created.flatMap((file) => [`--- would create ${file.path}`, file.text]), ...changes];
}
