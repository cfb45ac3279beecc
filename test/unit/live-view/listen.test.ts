import { listen, PortInUseError, urlOf } from "../../../platform/live-view";

describe("listen", () => {
  it("binds the loopback address by default, on a free port for 0", async () => {
    // Act
    const listener = await listen({ port: 0 });

    try {
      // Assess
      expect(listener.address).toBe("127.0.0.1");
      expect(listener.port).toBeGreaterThan(0);
      expect(urlOf(listener)).toBe(`http://127.0.0.1:${listener.port}/`);
    } finally {
      listener.server.close();
    }
  });

  it("falls back to a free port when the one asked for is taken and fallback is allowed (the default port)", async () => {
    // Prepare
    const taken = await listen({ port: 0 });

    try {
      // Act
      const other = await listen({ port: taken.port, fallback: true });
      other.server.close();

      // Assess
      expect(other.port).not.toBe(taken.port);
      expect(other.port).toBeGreaterThan(0);
    } finally {
      taken.server.close();
    }
  });

  it("fails naming the port and --port when a port asked for explicitly is taken", async () => {
    // Prepare
    const taken = await listen({ port: 0 });

    try {
      // Act
      const failure = await listen({ port: taken.port }).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(PortInUseError);
      expect((failure as Error).message).toBe(`Port ${taken.port} on 127.0.0.1 is in use by another process: pass --port <n> for another one, or --port 0 for any free one.`);
    } finally {
      taken.server.close();
    }
  });
});

describe("urlOf", () => {
  it("gives the loopback address for a wildcard one, and brackets IPv6", () => {
    expect([urlOf({ address: "0.0.0.0", port: 4040 }), urlOf({ address: "::", port: 4040 }), urlOf({ address: "::1", port: 4041 }), urlOf({ address: "192.168.1.5", port: 80 })]).toEqual([
      "http://127.0.0.1:4040/",
      "http://127.0.0.1:4040/",
      "http://[::1]:4041/",
      "http://192.168.1.5:80/",
    ]);
  });
});
