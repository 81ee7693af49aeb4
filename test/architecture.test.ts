/**
 * Dependencies point one way (docs/architecture.md): every import between modules goes from a
 * higher layer to a lower one, and no module imports itself back through others (no cycles).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";

/** The layers, lowest first; a module may import its own group or any lower layer, nothing else. */
const LAYERS: readonly (readonly string[])[] = [
  ["src/errors", "src/package-root", "src/random", "src/is-main", "reference/quants"],
  ["src/model", "src/output-file", "reference/activations"],
  ["src/interfaces"],
  ["reference", "kernels/wasm", "kernels/gpu", "src/kv", "src/tokenizer", "src/generation"],
  ["src/create-backend", "src/fastgen"],
  ["src/eval", "src/api"],
  ["src/cli", "src/browser", "src/index"],
];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (["node_modules", "build", "assembly"].includes(name)) continue; // assembly/: AssemblyScript, compiled apart
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|mts|mjs)$/.test(name) && !/\.d\.m?ts$/.test(name)) out.push(path);
  }
  return out;
}

/** The module a file belongs to: `src/fastgen/x.ts` → `src/fastgen`, `src/random.ts` → `src/random`. */
function moduleOf(file: string): string {
  const parts = relative(repoRoot, file).split("/");
  if (parts[0] === "kernels") return `kernels/${parts[1]}`;
  // The dequantize functions import nothing, and every reader of a packed tensor may use them.
  if (parts[0] === "reference" && parts[1] === "quants.ts") return "reference/quants";
  // The input roundings of llama.cpp's products: they import only quants.ts, and every backend uses them.
  if (parts[0] === "reference" && parts[1] === "activations.ts") return "reference/activations";
  if (parts[0] !== "src") return parts[0]!;
  return parts.length > 2 ? `src/${parts[1]}` : `src/${parts[1]!.replace(/\.ts$/, "")}`;
}

function imports(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, "utf8").matchAll(
    /(?:^|\n)\s*(?:import|export)[^"';]*?["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']/g,
  )) {
    const target = resolve(dirname(file), (m[1] ?? m[2])!);
    out.push(existsSync(target) ? target : target.replace(/\.js$/, ".ts"));
  }
  return out;
}

const files = ["src", "reference", "kernels"].flatMap((d) => walk(join(repoRoot, d)));
const graph = new Map(files.map((f) => [f, imports(f).filter((t) => files.includes(t))]));
const rank = (m: string) => LAYERS.findIndex((layer) => layer.includes(m));

it("every module has a layer, and every import points down (or stays in its module)", () => {
  const unplaced = [...new Set(files.map(moduleOf))].filter((m) => rank(m) < 0);
  expect(unplaced).toEqual([]);
  const upward: string[] = [];
  let edges = 0;
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const [a, b] = [moduleOf(from), moduleOf(to)];
      if (a === b) continue;
      edges++;
      if (rank(b) >= rank(a)) upward.push(`${relative(repoRoot, from)} -> ${relative(repoRoot, to)}`);
    }
  }
  expect(upward).toEqual([]);
  expect(edges).toBeGreaterThan(100);
});

it("no import cycles among the modules' files", () => {
  // Tarjan's strongly connected components; a component of more than one file is a cycle.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(repoRoot, w));
      } while (w !== v);
      if (component.length > 1) cycles.push(component);
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  expect(cycles).toEqual([]);
});
