import * as fs from "node:fs";
import { type Browser, chromium } from "playwright-core";
import type { ValidTopology } from "../../platform/model";

/** Debian's `chromium`, or CHROMIUM_PATH: required by the page tests, never skipped. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Headless Chromium as the page tests open pages: no sandbox (CI runs as root), nothing fetched
 * in the background. launch() gives every browser a new, empty profile directory and removes it
 * on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`apt-get install chromium\` (Debian's package), or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** The topology diagram's nodes in order: contexts, their topics, groups, then the violations topic when there are invariants. */
export const expectedNodesOf = (valid: ValidTopology): string[] => [
  ...valid.contexts.map((c) => `context:${c.name}`),
  ...valid.topics.filter((t) => t.purpose === "events").map((t) => `topic:${t.name}`),
  ...valid.consumers.map((g) => `group:${g.name}`),
  ...valid.topics.filter((t) => t.purpose === "violations").map((t) => `violations:${t.name}`),
];
