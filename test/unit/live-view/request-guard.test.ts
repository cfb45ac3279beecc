import { allowedHosts, bodyTooLarge, contentTypeRefusal, hostRefusal, MAX_BODY_BYTES } from "../../../platform/live-view/request-guard";

describe("allowedHosts and hostRefusal", () => {
  it("answers its own address, localhost and 127.0.0.1 with its port, in any case", () => {
    // Prepare
    const allowed = allowedHosts({ address: "127.0.0.1", port: 4040 });

    // Act
    const answered = ["127.0.0.1:4040", "localhost:4040", "LocalHost:4040"].map((host) => hostRefusal(host, allowed));

    // Assess
    expect([...allowed!]).toEqual(["127.0.0.1:4040", "localhost:4040"]);
    expect(answered).toEqual([undefined, undefined, undefined]);
  });

  it("refuses another name (DNS rebinding), another port, and no Host at all with a 403 naming the accepted ones", () => {
    // Prepare
    const allowed = allowedHosts({ address: "127.0.0.1", port: 4040 });

    // Act
    const refusals = ["rebind.attacker.example:4040", "127.0.0.1:4041", "localhost", undefined].map((host) => hostRefusal(host, allowed));

    // Assess
    expect(refusals.map((r) => r?.status)).toEqual([403, 403, 403, 403]);
    expect(refusals[0]!.message).toBe(
      `Host "rebind.attacker.example:4040" is not this server's name (127.0.0.1:4040, localhost:4040): the live view answers only requests addressed to it, so that no other site can reach it through DNS rebinding. Listen on every interface (--host 0.0.0.0) to accept any Host.`,
    );
    expect(refusals[3]!.message).toMatch(/^Host \(none\) is not/);
  });

  it("brackets an IPv6 address, accepts a Host without port on port 80, and any Host on a wildcard address", () => {
    expect([...allowedHosts({ address: "::1", port: 4040 })!]).toEqual(["[::1]:4040", "localhost:4040", "127.0.0.1:4040"]);
    expect(hostRefusal("localhost", allowedHosts({ address: "127.0.0.1", port: 80 }))).toBeUndefined();
    expect([allowedHosts({ address: "0.0.0.0", port: 4040 }), allowedHosts({ address: "::", port: 4040 })]).toEqual([undefined, undefined]);
    expect(hostRefusal("my-laptop.lan:4040", undefined)).toBeUndefined();
  });
});

describe("contentTypeRefusal", () => {
  it("accepts application/json, with parameters and in any case", () => {
    expect(["application/json", "application/json; charset=utf-8", "Application/JSON"].map(contentTypeRefusal)).toEqual([undefined, undefined, undefined]);
  });

  it("refuses what a page of another site may send without a preflight, and no content type, with a 415 naming the header", () => {
    // Act
    const refusals = ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined].map(contentTypeRefusal);

    // Assess
    expect(refusals.map((r) => r?.status)).toEqual([415, 415, 415, 415]);
    expect(refusals[0]!.message).toBe(
      `A POST needs the header content-type: application/json (got "text/plain;charset=UTF-8"), e.g. curl -H 'content-type: application/json' -d '{"input": {...}}'.`,
    );
  });
});

describe("bodyTooLarge", () => {
  it("refuses a body over 1 MiB with a 413", () => {
    expect([bodyTooLarge(0), bodyTooLarge(MAX_BODY_BYTES)]).toEqual([undefined, undefined]);
    expect(bodyTooLarge(MAX_BODY_BYTES + 1)?.status).toBe(413);
  });
});
