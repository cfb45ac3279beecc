import * as fs from "node:fs";
import * as path from "node:path";

/** A fresh copy of a JSON fixture under test/fixtures, so a test can change it freely. */
export function loadFixture<T = unknown>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", relative), "utf8")) as T;
}
