import { describe, expect, test } from "bun:test";
import { routeChunkImports } from "./chunkImports.ts";

describe("the build's routing of dynamic chunk imports", () => {
  test("Bun's preloaded import becomes a call of importChunk, falling back to the plain import", () => {
    const bun =
      'var a=P(()=>(I("ab12cd34"),import("/chunk-ab12cd34.js"))),b=await (I("ef56gh78"),import("/chunk-ef56gh78.js"));';
    const { code, routed } = routeChunkImports(bun);
    expect(routed).toBe(2);
    expect(code).toBe(
      'var a=P(()=>(globalThis.__pocketImport||(u=>import(u)))("/chunk-ab12cd34.js")),b=await (globalThis.__pocketImport||(u=>import(u)))("/chunk-ef56gh78.js");',
    );
  });

  test("code without dynamic chunk imports is left as it is", () => {
    const code = 'import{a}from"/chunk-ab12cd34.js";export{a};';
    expect(routeChunkImports(code)).toEqual({ code, routed: 0, unknownShape: null });
  });

  test("a dynamic chunk import of another shape is reported, for the build to fail on", () => {
    expect(routeChunkImports('x=import("/chunk-ab12cd34.js")').unknownShape).toBe('…x=import("/chunk-ab12cd34.js")…');
  });
});
