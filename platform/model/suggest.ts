import { distance } from "fastest-levenshtein";

/** Up to `limit` candidates closest to `input`, nearest first, for "did you mean" hints. */
export function closest(input: string, candidates: readonly string[], limit = 3): string[] {
  const lower = input.toLowerCase();
  return candidates
    .map((candidate) => ({ candidate, score: distance(lower, candidate.toLowerCase()) }))
    .filter(({ candidate, score }) => score <= Math.max(3, Math.floor(candidate.length / 2)))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}
