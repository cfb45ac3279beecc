// Checks every relative link `](target)` and `](target#anchor)` in the README and the docs: the
// file exists, and the anchor is a heading of it (GitHub's slugs). README.md may link to nothing
// outside the repository. Run: node docs/check-links.mjs   (exit 1 listing each broken link)
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const files = ["README.md", "bench/README.md", "platform/catalog/README.md", ...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(file) {
  const seen = new Map();
  const text = fs.readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  return new Set(
    [...text.matchAll(/^#{1,6} +(.+?) *$/gm)].map(([, heading]) => {
      const slug = heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/ /g, "-");
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      return n === 0 ? slug : `${slug}-${n}`;
    }),
  );
}

const problems = [];
let checked = 0;
for (const file of files) {
  const text = fs.readFileSync(path.join(root, file), "utf8").replace(/^```[\s\S]*?^```/gm, "");
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) {
      if (file === "README.md") problems.push(`${file}: links outside the repository: ${target}`);
      continue;
    }
    checked++;
    const [rel, anchor] = target.split("#");
    const resolved = rel ? path.resolve(path.dirname(path.join(root, file)), rel) : path.join(root, file);
    if (!resolved.startsWith(root + path.sep) && resolved !== root) problems.push(`${file}: ${target} leaves the repository`);
    else if (!fs.existsSync(resolved)) problems.push(`${file}: ${target} does not exist`);
    else if (anchor && !anchors(resolved).has(anchor)) problems.push(`${file}: ${target}: no heading with anchor #${anchor}`);
  }
}
console.log(problems.length ? problems.join("\n") : `links: ${checked} relative links in ${files.length} files, all resolve`);
process.exitCode = problems.length ? 1 : 0;
