import { describe, expect, it } from "vitest";
import { parseLibconfig, parseSwDescription } from "./sw-description";

const h = (c: string) => c.repeat(64);

describe("libconfig subset", () => {
  it("reads groups, arrays, lists, scalars, comments and both assignment styles", () => {
    const g = parseLibconfig(`
      # hash comment
      // line comment
      /* block
         comment */
      a = 1; b : 0x10L, c = -2.5e1; d = TRUE; e = "x\\"y\\n" "z";
      arr = [ "1.0", "1.1", ];
      lst = ( { n = 1; }, { n = 2 } );
      grp = { inner = { deep = false; }; };
    `);
    expect(g).toEqual({ a: 1, b: 16, c: -25, d: true, e: 'x"y\nz', arr: ["1.0", "1.1"], lst: [{ n: 1 }, { n: 2 }], grp: { inner: { deep: false } } });
  });

  it("rejects duplicates, @include, groups inside arrays and broken syntax with a line number", () => {
    expect(() => parseLibconfig('a = 1;\nsha256 = "x";\nsha256 = "y";')).toThrow(/line 3: duplicate setting "sha256"/);
    expect(() => parseLibconfig('@include "other.cfg"')).toThrow(/@include/);
    expect(() => parseLibconfig("a = [ { b = 1; } ];")).toThrow(/only scalar/);
    expect(() => parseLibconfig('a = "unterminated')).toThrow(/unterminated string/);
    expect(() => parseLibconfig("a = { b = 1;")).toThrow(/expected "}"/);
    expect(() => parseLibconfig("a = 1 b = 2;")).not.toThrow(); // the terminator is optional in libconfig
  });
});

describe("parseSwDescription", () => {
  it("collects every installable entry across board and selection sub-groups", () => {
    const sw = parseSwDescription(
      Buffer.from(`
software = {
  version = "2.0";
  myboard = {
    hardware-compatibility: [ "1.0", "1.2" ];
    stable = {
      copy1 = { images: ( { filename = "rootfs.ext4.gz"; sha256 = "${h("a")}"; compressed = "zlib"; } ); };
      copy2 = { images: ( { filename = "rootfs.ext4.gz"; sha256 = "${h("a")}"; } ); };
    };
  };
  scripts: ( { filename = "pre.lua"; type = "lua"; md5 = "abc"; } );
  partitions: ( { type = "diskpart"; device = "/dev/sda"; } );
};`),
    );
    expect(sw.version).toBe("2.0");
    expect(sw.hardwareCompatibility).toEqual(["1.0", "1.2"]);
    expect(sw.payloads).toEqual([
      { kind: "images", filename: "rootfs.ext4.gz", sha256: h("a"), otherHashes: [] },
      { kind: "images", filename: "rootfs.ext4.gz", sha256: h("a"), otherHashes: [] },
      { kind: "scripts", filename: "pre.lua", sha256: undefined, otherHashes: ["md5"] },
    ]);
  });

  it("reads a JSON sw-description and rejects one without a software group", () => {
    const sw = parseSwDescription(Buffer.from(JSON.stringify({ software: { version: "3", "hardware-compatibility": ["1.0"], images: [{ filename: "x.img", sha256: h("B") }] } })));
    expect(sw.payloads).toEqual([{ kind: "images", filename: "x.img", sha256: h("b"), otherHashes: [] }]);
    expect(() => parseSwDescription(Buffer.from('other = { a = 1; };'))).toThrow(/no "software" group/);
    expect(() => parseSwDescription(Buffer.from([0xff, 0xfe, 0x00]))).toThrow(/not UTF-8/);
  });
});
