/**
 * `npm run test:browser`: the web page (web/) in a real Chromium, checked against the CLI.
 *
 * Builds the page (vite), serves the build with its COOP/COEP headers (vite preview), drives
 * Debian's chromium through playwright-core (no browser download), and checks that
 * - the default greedy story the page generates with the reference backend and with gpu.js WebGL2
 *   (software GL: SwiftShader) — and with the wasm backend, where it exists — is the text and the
 *   tokens of `fastgen generate --backend reference --json` for the same prompt, policy and T;
 * - the policy grid (policy and every candidate's recovery per (layer, KV head)) is
 *   `fastgen profile --json` for the same prompt and T, and after moving the T slider with the
 *   keyboard it is the profile at the new T;
 * - the page reports its decode speed (tok/s), set against the CLI's on the same machine.
 * Screenshots and the figures go to results/browser/ (gitignored).
 *
 * Environment: CHROMIUM (default /usr/bin/chromium), FASTGEN_WEB_SKIP_BUILD=1 to reuse web/dist.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { preview } from "vite";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = join(repo, "results/browser");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The page's defaults (web/src/page.ts, web/src/main.ts): the README's prompt that compresses, FastGen at T = 0.9, 256 greedy tokens. */
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
const T = 0.9;
const T_MOVED = 0.5;
const MAX_TOKENS = 256;
/** Alternating page/CLI runs per backend for the speed figures. */
const ROUNDS = 5;

interface CliGenerate {
  text: string;
  tokens: number[];
  promptTokens: number[];
  compression: { final: number; mean: number };
}
interface CliProfile {
  threshold: number;
  layers: { layer: number; kvHeads: { kvHead: number; policy: string; recovery: Record<string, number> }[] }[];
}
interface GridCell {
  layer: number;
  kvHead: number;
  policy: string;
  recovery: Record<string, number>;
}

let failures = 0;
const lines: string[] = [];
function log(s: string): void {
  lines.push(s);
  console.log(s);
}
function check(ok: boolean, what: string, detail = ""): void {
  if (!ok) failures++;
  log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` — ${detail}` : ""}`);
}

function cli(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli.ts"), ...args], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`fastgen ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const genArgs = (backend: string) => [
  "generate",
  "--backend",
  backend,
  "--prompt",
  PROMPT,
  "--policy",
  "fastgen",
  "--threshold",
  String(T),
  "--max-tokens",
  String(MAX_TOKENS),
];

/** `fastgen generate --backend reference --json` with FastGen at `t`: the story the page must equal. */
function cliStory(t: number, maxTokens: number, extra: string[]): CliGenerate {
  const args = ["--prompt", PROMPT, "--policy", "fastgen", "--threshold", String(t), "--max-tokens", String(maxTokens)];
  return JSON.parse(cli(["generate", "--backend", "reference", "--json", ...args, ...extra]).stdout) as CliGenerate;
}

/** Waits until the status line says the model `name` is open. */
async function waitReady(page: Page, name: string): Promise<void> {
  await page.waitForFunction((n) => (document.getElementById("status-text")!.textContent ?? "").includes(`Ready: ${n}`), name, {
    timeout: 60_000,
  });
}

/** The CLI's own tok/s figure (stderr), best of `runs` processes. */
function cliTokPerSec(backend: string, extra: string[] = [], runs = 3): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < runs; i++) {
    const m = /([\d.]+) tok\/s/.exec(cli([...genArgs(backend), ...extra]).stderr);
    if (m) best = Math.max(best ?? 0, Number(m[1]));
  }
  return best;
}

function gridFromProfile(p: CliProfile): GridCell[] {
  return p.layers.flatMap((l) => l.kvHeads.map((h) => ({ layer: l.layer, kvHead: h.kvHead, policy: h.policy, recovery: h.recovery })));
}

async function readGrid(page: Page): Promise<{ threshold: number; prompt: string; cells: GridCell[] }> {
  return page.evaluate(() => {
    const grid = document.getElementById("grid")!;
    const cells = [...grid.querySelectorAll<HTMLElement>(".cell")].map((c) => ({
      layer: Number(c.dataset.layer),
      kvHead: Number(c.dataset.kvhead),
      policy: c.dataset.policy!,
      recovery: JSON.parse(c.dataset.recovery!) as Record<string, number>,
    }));
    return { threshold: Number(grid.dataset.threshold), prompt: grid.dataset.prompt ?? "", cells };
  });
}

function sameGrid(a: GridCell[], b: GridCell[]): string | undefined {
  if (a.length !== b.length) return `${a.length} cells vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.layer !== y.layer || x.kvHead !== y.kvHead || x.policy !== y.policy)
      return `L${y.layer} kv${y.kvHead}: page ${x.policy}, CLI ${y.policy}`;
    for (const k of Object.keys(y.recovery)) {
      if (Math.abs(x.recovery[k]! - y.recovery[k]!) > 1e-9)
        return `L${y.layer} kv${y.kvHead} ${k}: page ${x.recovery[k]}, CLI ${y.recovery[k]}`;
    }
  }
  return undefined;
}

async function waitState(page: Page, states: string[], timeoutMs: number): Promise<string> {
  await page.waitForFunction((s) => s.includes(document.getElementById("run-status")!.dataset.state ?? ""), states, { timeout: timeoutMs });
  return page.evaluate(
    () => `${document.getElementById("run-status")!.dataset.state}: ${document.getElementById("status-text")!.textContent}`,
  );
}

async function openPage(ctx: BrowserContext, base: string, query: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => log(`  page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") log(`  console ${m.type()}: ${m.text()}`);
  });
  await page.goto(`${base}?${query}`);
  const s = await waitState(page, ["idle", "error"], 120_000);
  if (s.startsWith("error")) throw new Error(`the page did not load: ${s}`);
  await page.waitForFunction(() => document.querySelectorAll("#grid .cell").length > 0, null, { timeout: 60_000 });
  return page;
}

interface PageRun {
  text: string;
  tokens: number[];
  backend: string;
  tokPerSec: number;
  status: string;
}

async function generateOnPage(page: Page, live?: { afterTokens: number; path: string }): Promise<PageRun> {
  await page.click("#generate");
  if (live) {
    // Mid-run: the page as it looks while tokens arrive, and whether anything moved meanwhile.
    const boxes = () =>
      page.evaluate(() =>
        [...document.querySelectorAll("header, .panel, canvas")].map((e) => JSON.stringify(e.getBoundingClientRect())).join("\n"),
      );
    await page.waitForFunction((n) => document.querySelectorAll("#story .tok:not(.prompt)").length >= n, Math.round(live.afterTokens / 3), {
      timeout: 300_000,
    });
    const early = await boxes();
    await page.waitForFunction((n) => document.querySelectorAll("#story .tok:not(.prompt)").length >= n, live.afterTokens, {
      timeout: 300_000,
    });
    const later = await boxes();
    check(
      early === later,
      `no layout change while generating (header, panels and canvases at ${Math.round(live.afterTokens / 3)} and ` +
        `${live.afterTokens} tokens)`,
    );
    await page.screenshot({ path: live.path, fullPage: true });
  }
  const status = await waitState(page, ["done", "error"], 300_000);
  if (!status.startsWith("done")) throw new Error(`generation failed: ${status}`);
  // Let the last frame draw.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate(() => {
    const st = document.getElementById("run-status")!;
    const story = document.getElementById("story")!;
    return {
      text: story.dataset.text ?? "",
      tokens: (story.dataset.tokens ?? "").split(",").filter(Boolean).map(Number),
      backend: st.dataset.backend ?? "",
      tokPerSec: Number(st.dataset.tps),
      status: document.getElementById("status-text")!.textContent ?? "",
    };
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(outDir, { recursive: true });
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM)`);
  if (process.env.FASTGEN_WEB_SKIP_BUILD !== "1" || !existsSync(join(repo, "web/dist/index.html"))) {
    log("building the page (npm run web:build)");
    execFileSync("npx", ["vite", "build", "--config", "web/vite.config.ts", "--logLevel", "warn"], { cwd: repo, stdio: "inherit" });
  }

  log("CLI: generate and profile for the same prompt");
  const expected = JSON.parse(cli([...genArgs("reference"), "--json"]).stdout) as CliGenerate;
  const profileAt = (t: number) =>
    JSON.parse(cli(["profile", "--backend", "reference", "--json", "--prompt", PROMPT, "--threshold", String(t)]).stdout) as CliProfile;
  const profileT = gridFromProfile(profileAt(T));
  const profileMoved = gridFromProfile(profileAt(T_MOVED));
  check(
    sameGrid(profileT, profileMoved) !== undefined,
    `the CLI's profile changes between T = ${T} and T = ${T_MOVED} (so the slider check means something)`,
  );

  const server = await preview({
    configFile: join(repo, "web/vite.config.ts"),
    preview: { port: 4173, strictPort: false, host: "127.0.0.1" },
    logLevel: "warn",
  });
  const base = server.resolvedUrls?.local[0];
  if (!base) throw new Error("vite preview gave no URL");
  const userDataDir = mkdtempSync(join(tmpdir(), "fastgen-chromium-"));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      // WebGL2 on the CPU (SwiftShader), which --disable-gpu otherwise leaves out.
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
    ],
    viewport: { width: 1440, height: 1000 },
    deviceScaleFactor: 1,
  });
  const common = `autostart=0&T=${T}&maxTokens=${MAX_TOKENS}&policy=fastgen`;
  const results: Record<string, unknown> = {
    prompt: PROMPT,
    threshold: T,
    maxTokens: MAX_TOKENS,
    chromium: ctx.browser()?.version() ?? "",
    runs: {},
  };
  const runs = results.runs as Record<string, unknown>;
  try {
    // 1. Reference: text, grid, slider.
    const page = await openPage(ctx, base, `backend=reference&${common}`);
    check(await page.evaluate(() => crossOriginIsolated), "the page is cross-origin isolated (COOP/COEP)");
    let grid = await readGrid(page);
    check(grid.prompt === PROMPT && grid.threshold === T, "grid is the profile of the default prompt at T", `T = ${grid.threshold}`);
    const d1 = sameGrid(grid.cells, profileT);
    check(d1 === undefined, `policy grid = fastgen profile --json at T = ${T} (policy and every recovery, ${profileT.length} heads)`, d1);
    const ref = await generateOnPage(page);
    check(ref.backend === "reference", "reference: the page says the reference ran", ref.backend);
    check(
      ref.text === expected.text,
      "reference: story text = fastgen generate --backend reference --json",
      ref.text === expected.text ? "" : `page: ${JSON.stringify(ref.text.slice(0, 200))}`,
    );
    check(
      JSON.stringify(ref.tokens) === JSON.stringify(expected.tokens),
      `reference: ${ref.tokens.length} tokens = the CLI's ${expected.tokens.length}`,
    );
    log(`  page: ${ref.status}`);
    runs.reference = { ran: ref.backend, tokPerSec: ref.tokPerSec, tokens: ref.tokens.length, textMatchesCli: ref.text === expected.text };

    // Sampling: temperature and seed from the form give the CLI's sampled story.
    await page.fill("#temperature", "0.8");
    await page.fill("#seed", "7");
    const sampled = await generateOnPage(page);
    const sampledCli = JSON.parse(cli([...genArgs("reference"), "--temperature", "0.8", "--seed", "7", "--json"]).stdout) as CliGenerate;
    check(
      sampled.text === sampledCli.text && sampled.text !== ref.text,
      "temperature 0.8, seed 7: story text = the CLI's with --temperature 0.8 --seed 7",
    );
    await page.fill("#temperature", "0");
    await page.fill("#seed", "42");

    // A literature method from the policy menu with the compression slider (spec §14): the CLI's story with the same flags.
    await page.selectOption("#policy", "snapkv");
    await page.evaluate(() => {
      const c = document.getElementById("compression") as HTMLInputElement;
      c.value = "0.6";
      c.dispatchEvent(new Event("input"));
    });
    const snap = await generateOnPage(page);
    const snapArgs = ["--prompt", PROMPT, "--policy", "snapkv", "--compression", "0.6", "--max-tokens", String(MAX_TOKENS)];
    const snapCli = JSON.parse(cli(["generate", "--backend", "reference", "--json", ...snapArgs]).stdout) as CliGenerate;
    check(
      snap.text === snapCli.text && JSON.stringify(snap.tokens) === JSON.stringify(snapCli.tokens) && snap.text !== ref.text,
      "snapkv from the policy menu at C = 0.6: story = fastgen generate --policy snapkv --compression 0.6",
    );
    await page.selectOption("#policy", "fastgen");
    // Pick a head that evicts, so the attention panel shows kept and evicted positions.
    await page.click('#grid .cell[data-layer="3"][data-kvhead="1"]');
    // Point at a generated token: the attention panel shows that step.
    await page.hover('#story .tok[data-pos="150"]');
    await page.screenshot({ path: join(outDir, "reference-laptop.png"), fullPage: true });
    await page.mouse.move(0, 0);
    await page.hover('#grid .cell[data-layer="4"][data-kvhead="0"]');
    await page.screenshot({ path: join(outDir, "grid-tooltip.png") });

    // The T slider, by keyboard: ArrowLeft steps 0.01.
    await page.focus("#threshold");
    for (let i = 0; i < Math.round((T - T_MOVED) * 100); i++) await page.keyboard.press("ArrowLeft");
    await page.waitForFunction((t) => Number(document.getElementById("grid")!.dataset.threshold) === t, T_MOVED, { timeout: 30_000 });
    grid = await readGrid(page);
    const d2 = sameGrid(grid.cells, profileMoved);
    check(d2 === undefined, `after moving the T slider to ${T_MOVED}: grid = fastgen profile --json at T = ${T_MOVED}`, d2);
    check(sameGrid(grid.cells, profileT) !== undefined, "the grid changed with T");
    await page.screenshot({ path: join(outDir, "threshold-moved.png") });

    // A model file of the user's own: the llama2.c checkpoint and its tokenizer, through the file input.
    await page.setInputFiles("#file", [join(repo, "models/babyllama105.bin"), join(repo, "models/tok105.bin")]);
    await waitReady(page, "babyllama105.bin");
    await page.waitForFunction(() => document.querySelectorAll("#grid .cell").length > 0, null, { timeout: 60_000 });
    const babyArgs = ["--model", join(repo, "models/babyllama105.bin"), "--tokenizer", join(repo, "models/tok105.bin")];
    const babyProfile = gridFromProfile(
      JSON.parse(
        cli(["profile", "--backend", "reference", "--json", "--prompt", PROMPT, "--threshold", String(T_MOVED), ...babyArgs]).stdout,
      ) as CliProfile,
    );
    const d3 = sameGrid((await readGrid(page)).cells, babyProfile);
    check(d3 === undefined, `dropped llama2.c model: grid = fastgen profile --json --model babyllama105.bin at T = ${T_MOVED}`, d3);
    await page.fill("#max-tokens", "64");
    const baby = await generateOnPage(page);
    const babyCli = cliStory(T_MOVED, 64, babyArgs);
    check(
      baby.text === babyCli.text,
      "dropped llama2.c model: story text = the CLI's with --model/--tokenizer",
      baby.text === babyCli.text ? "" : JSON.stringify(baby.text.slice(0, 120)),
    );
    check(await page.isDisabled("#chat"), "a model without a chat template does not offer Chat");

    // A GGUF with a chat template (SmolLM2's kind: byte-level BPE, ChatML): the Chat box, and the reply = generate --chat's.
    const chatDir = mkdtempSync(join(tmpdir(), "fastgen-chat-"));
    const chatModel = join(chatDir, "smollm2-chat.gguf");
    cli(["synth", "--like", "smollm2-135m", "--layers", "1", "--vocab", "2048", "--type", "Q8_0", "--out", chatModel]);
    await page.setInputFiles("#file", [chatModel]);
    await waitReady(page, "smollm2-chat.gguf");
    check(!(await page.isDisabled("#chat")), "a GGUF with a chat template offers Chat");
    await page.check("#chat");
    await page.fill("#max-tokens", "16");
    const chat = await generateOnPage(page);
    const chatCli = cliStory(T_MOVED, 16, ["--chat", "--model", chatModel]);
    check(
      chat.tokens.join() === chatCli.tokens.join(),
      "Chat on a BPE GGUF: the reply's tokens = fastgen generate --chat --json",
      `${chat.tokens.slice(0, 8).join()} vs ${chatCli.tokens.slice(0, 8).join()}`,
    );
    rmSync(chatDir, { recursive: true, force: true });
    await page.uncheck("#chat");

    // stories3M (int8 "ak42", head size 32, GQA 3:1), offered where this checkout has ../shared/models.
    const shared = join(repo, "../shared/models");
    const offers3M = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLOptionElement>("#model option")].some((o) => o.value === "stories3M-q80.bin"),
    );
    check(offers3M === existsSync(join(shared, "stories3M-q80.bin")), `the page offers stories3M exactly when ${shared} has it`);
    if (offers3M) {
      await page.selectOption("#model", "stories3M-q80.bin");
      await waitReady(page, "stories3M-q80.bin");
      await page.fill("#max-tokens", "64");
      const s3 = await generateOnPage(page);
      const s3Cli = cliStory(T_MOVED, 64, ["--model", join(shared, "stories3M-q80.bin")]);
      check(
        s3.text === s3Cli.text,
        "stories3M on the page: story text = the CLI's",
        s3.text === s3Cli.text ? "" : JSON.stringify(s3.text.slice(0, 120)),
      );
    } else log("  stories3M: not in ../shared/models here, not offered");
    await page.close();

    // 2. gpu.js on WebGL2 (SwiftShader) and 3. the wasm kernels, where the page offers them.
    const offered = await (async () => {
      const p = await ctx.newPage();
      await p.goto(`${base}?autostart=0`);
      const v = await p.evaluate(() => [...document.querySelectorAll<HTMLOptionElement>("#backend option")].map((o) => o.value));
      await p.close();
      return v;
    })();
    for (const backend of ["gpu", "wasm"]) {
      if (!offered.includes(backend)) {
        log(`skip ${backend}: this tree has no such backend`);
        continue;
      }
      const p = await openPage(ctx, base, `backend=${backend}&${common}`);
      if (backend === "gpu") await p.click('#grid .cell[data-layer="2"][data-kvhead="1"]');
      const run = await generateOnPage(p, backend === "gpu" ? { afterTokens: 120, path: join(outDir, "gpu-webgl2-live.png") } : undefined);
      const expectName = backend === "gpu" ? "gpu (webgl2)" : "wasm";
      check(run.backend.startsWith(expectName), `${backend}: the page says ${expectName} ran`, run.backend);
      check(
        run.text === expected.text,
        `${backend}: story text = the CLI's reference story`,
        run.text === expected.text ? "" : `page: ${JSON.stringify(run.text.slice(0, 200))}`,
      );
      check(JSON.stringify(run.tokens) === JSON.stringify(expected.tokens), `${backend}: tokens = the CLI's reference tokens`);
      log(`  page: ${run.status}`);
      if (backend === "gpu") await p.screenshot({ path: join(outDir, "gpu-webgl2-laptop.png") });
      if (backend === "wasm") {
        // Worker threads: as many as the browser has cores (module Web Workers over the shared memory).
        const cores = await p.evaluate(() => navigator.hardwareConcurrency);
        const want = `wasm (${cores} thread${cores === 1 ? "" : "s"})`;
        check(run.backend === want, `wasm: the page runs ${want} (navigator.hardwareConcurrency)`, run.backend);
        // BabyLlama's feed-forward products are big enough to split between the threads every token.
        await p.setInputFiles("#file", [join(repo, "models/babyllama105.bin"), join(repo, "models/tok105.bin")]);
        await waitReady(p, "babyllama105.bin");
        await p.fill("#max-tokens", "64");
        const babyWasm = await generateOnPage(p);
        const babyAtT = cliStory(T, 64, babyArgs);
        check(
          babyWasm.text === babyAtT.text && babyWasm.backend === want,
          `wasm: dropped llama2.c model on ${want}: story text = the CLI's reference story`,
          babyWasm.text === babyAtT.text ? babyWasm.backend : JSON.stringify(babyWasm.text.slice(0, 120)),
        );
      }
      runs[backend] = { ran: run.backend, tokPerSec: run.tokPerSec, tokens: run.tokens.length, textMatchesCli: run.text === expected.text };
      if (backend === "gpu") {
        // Stop, mid-run: the worker sees it between tokens.
        await p.click("#generate");
        await p.waitForFunction(() => document.querySelectorAll("#story .tok:not(.prompt)").length >= 8, null, { timeout: 120_000 });
        await p.click("#stop");
        const stopped = await waitState(p, ["done", "error"], 60_000);
        const n = await p.evaluate(() => (document.getElementById("story")!.dataset.tokens ?? "").split(",").filter(Boolean).length);
        check(/^done: Stopped/.test(stopped) && n < MAX_TOKENS, `the Stop button ends a run mid-way (${n} tokens)`, stopped);
      }
      await p.close();
    }

    // 4. Phone width: the layout stacks; nothing overflows sideways.
    const phone = await ctx.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}?backend=reference&${common.replace("autostart=0", "autostart=1")}`);
    await waitState(phone, ["done", "error"], 120_000);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, "phone width (390 px): no horizontal overflow", `${overflow} px`);
    await phone.screenshot({ path: join(outDir, "phone.png"), fullPage: true });
    await phone.close();

    // Decode speed: the page's figure (tokens / seconds of its generate loop, as the CLI counts)
    // against the CLI's for the same run on the same machine. Page and CLI runs alternate, so both
    // see the same load from whatever else runs here; each side's best of ROUNDS is compared.
    log(`decode speed, page vs CLI (Node), same prompt, policy and tokens, alternating, best of ${ROUNDS}:`);
    const cliHasThreads = cli(["generate", "--help"]).stdout.includes("--threads");
    const speed: Record<string, unknown> = {};
    for (const [backend, first] of Object.entries(runs) as [string, { tokPerSec: number; ran: string }][]) {
      // gpu.js's webgl2 mode exists in a browser only; under Node the gpu backend runs headlessgl
      // (with an X display) or webasm, a different program: its one page run is shown for scale.
      if (backend === "gpu") {
        const node = cliTokPerSec("gpu");
        speed.gpu = { page: [first.tokPerSec], node: node === undefined ? [] : [node], sameProgram: false };
        log(
          `  gpu: page ${first.tokPerSec.toFixed(1)} tok/s (webgl2 on SwiftShader), Node ${node?.toFixed(1)} tok/s ` +
            `(gpu.js headlessgl/webasm: not the same program, for scale only)`,
        );
        continue;
      }
      // The wasm backend runs as many threads under Node as in the page (a page has no worker_threads).
      const threads = /\((\d+) threads?\)/.exec(first.ran)?.[1];
      const extra = threads && cliHasThreads ? ["--threads", threads] : [];
      const p = await openPage(ctx, base, `backend=${backend}&${common}`);
      const page: number[] = [];
      const node: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        page.push((await generateOnPage(p)).tokPerSec);
        const n = cliTokPerSec(backend, extra, 1);
        if (n !== undefined) node.push(n);
      }
      await p.close();
      const ratio = Math.max(...node) / Math.max(...page);
      speed[backend] = { ran: first.ran, page, node, nodeOverPage: ratio, sameProgram: true };
      log(
        `  ${first.ran}: page ${page.map((v) => v.toFixed(0)).join("/")} tok/s, Node ${node.map((v) => v.toFixed(0)).join("/")} tok/s` +
          ` → best Node/page ${ratio.toFixed(2)}×${ratio <= 2 ? ", within 2×" : ", NOT within 2×"}`,
      );
    }
    results.speed = speed;
  } finally {
    await ctx.close();
    await server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }

  results.failures = failures;
  results.seconds = (Date.now() - started) / 1000;
  writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(outDir, "log.txt"), lines.join("\n") + "\n");
  log(`${failures === 0 ? "PASS" : `FAIL (${failures})`} in ${results.seconds} s; screenshots and results.json in ${outDir}`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
