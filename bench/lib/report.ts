/** What every benchmark prints and writes: a table on the terminal and JSON under results/. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { type WasmFeatures, wasmFeatures } from "../../kernels/wasm/runtime.ts";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";

export type Row = Record<string, string | number | boolean | null>;

export interface BenchReport {
  readonly bench: string;
  /** The command that reproduces it. */
  readonly command: string;
  readonly machine: MachineInfo;
  readonly startedAt: string;
  readonly settings: Record<string, unknown>;
  readonly rows: readonly Row[];
  readonly notes?: readonly string[];
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly runtime: string;
  readonly platform: string;
  /** The 1-, 5- and 15-minute load averages when the report was written (timings on a shared machine depend on it). */
  readonly loadAverage: readonly number[];
  /**
   * Share of this machine's CPU time, over the benchmark's run, that the hypervisor gave to other
   * guests ("steal" in /proc/stat; Linux only, else null). While it is high, a thread is now and
   * then descheduled mid-job and the others wait for it: thread scaling suffers most.
   */
  readonly cpuSteal: number | null;
  /** WebAssembly features of this runtime, and the set the wasm kernels use. */
  readonly wasm: WasmFeatures;
}

/** Total and steal CPU time from /proc/stat's first line (user nice system idle iowait irq softirq steal …), in ticks. */
function cpuTicks(): { total: number; steal: number } | undefined {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined;
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7]! };
  } catch {
    return undefined;
  }
}

/** Where the current benchmark's run started counting (module load, then each report). */
let ticksAtStart = cpuTicks();

function stealSinceStart(): number | null {
  const now = cpuTicks();
  const start = ticksAtStart;
  ticksAtStart = now;
  if (!now || !start || now.total <= start.total) return null;
  return (now.steal - start.steal) / (now.total - start.total);
}

export function machineInfo(cpuSteal: number | null = null): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    runtime: `node ${process.versions.node}`,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    cpuSteal: cpuSteal === null ? null : Math.round(cpuSteal * 1000) / 1000,
    wasm: wasmFeatures(),
  };
}

export const resultsDir = (dir = "results") => resolve(dir);

/**
 * A progress line on stderr (the table and JSON stay on stdout): what a benchmark is about to do,
 * with the seconds since it started, so a run of minutes is never silent.
 */
export function progress(bench: string, what: string, started: number): void {
  process.stderr.write(`${bench}: ${what} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}

/** Prints the rows as a table and writes `<dir>/bench-<name>.json`; returns the path. */
export function writeReport(report: Omit<BenchReport, "machine">, dir = "results"): string {
  const full: BenchReport = { ...report, machine: machineInfo(stealSinceStart()) };
  console.log(`\n## ${report.bench}\n`);
  console.table(report.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" ? round(v) : v]))));
  for (const n of report.notes ?? []) console.log(`  ${n}`);
  const steal = full.machine.cpuSteal;
  if (steal !== null)
    console.log(
      `  CPU steal during this run: ${(100 * steal).toFixed(1)}% of the machine's CPU time went to other ` +
        `guests${steal > 0.02 ? " (thread-scaling figures suffer most)" : ""}.`,
    );
  mkdirSync(resultsDir(dir), { recursive: true });
  const path = join(resultsDir(dir), `bench-${report.bench}.json`);
  writeFileSync(path, JSON.stringify(full, null, 2) + "\n");
  console.log(`  → ${path}`);
  return path;
}

function round(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  const digits = Math.abs(x) >= 100 ? 1 : Math.abs(x) >= 1 ? 3 : 5;
  return Number(x.toFixed(digits));
}

/** `--quick` (CI smoke), default, or `--long`. */
export type BenchSize = "quick" | "default" | "long";

export function benchSize(argv: readonly string[] = process.argv.slice(2)): BenchSize {
  if (argv.includes("--quick")) return "quick";
  if (argv.includes("--long")) return "long";
  return "default";
}

export function outDir(argv: readonly string[] = process.argv.slice(2)): string {
  const i = argv.indexOf("--out");
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : "results";
}

/** `--model FILE` (benchmarks that can measure a given model file), checked to exist. */
export function modelFlag(argv: readonly string[]): string | undefined {
  const at = argv.indexOf("--model");
  if (at < 0) return undefined;
  const file = argv[at + 1];
  if (file === undefined || file.startsWith("--")) throw new Error("--model needs a file");
  if (!existsSync(file)) throw new Error(`--model: ${file} not found`);
  return file;
}
