import { test } from "vitest";
import { parseLlama2c } from "../../src/model/llama2c.ts";
import { fixture, llama2cPath, patched } from "./helpers.ts";
test("x", () => {
  const b = fixture(llama2cPath);
  for (const [f, v] of [[0, 0], [1, -172], [3, 7], [4, 3], [6, -1], [5, 0], [2, 0], [0, 32769]] as const) {
    try { parseLlama2c(patched(b, 4 * f, "i32", v), "p"); } catch (e) { console.log(f, v, (e as Error).message); }
  }
});
