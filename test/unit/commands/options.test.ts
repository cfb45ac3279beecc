import { InvalidArgumentError } from "commander";
import { port, positiveInt } from "../../../commands/options";

describe("port", () => {
  it("takes 0 (any free port) to 65535", () => {
    expect(["0", "4040", "65535"].map(port)).toEqual([0, 4040, 65535]);
  });

  it("rejects what is not a port, saying what it expects", () => {
    for (const value of ["-1", "65536", "40.5", "http", ""]) expect(() => port(value)).toThrow(new InvalidArgumentError("expected a port: a whole number from 0 (any free port) to 65535."));
  });
});

describe("positiveInt", () => {
  it("still rejects 0, which a count cannot be", () => {
    expect(() => positiveInt("0")).toThrow(InvalidArgumentError);
  });
});
