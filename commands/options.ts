import { InvalidArgumentError } from "commander";

/** A commander argument parser for options that count something: a whole number of at least 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

/** A commander argument parser for a TCP port: 0 (any free port) to 65535. */
export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError("expected a port: a whole number from 0 (any free port) to 65535.");
  return n;
}
