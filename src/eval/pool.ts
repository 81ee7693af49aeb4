/**
 * Evaluates prompts in parallel worker threads (one model each), or, for the gpu.js backend with one
 * worker, in this thread. Results come back in prompt order whatever order they finish in.
 *
 * Threads (`node:worker_threads`), not child processes: Node, Deno and Bun all implement them, they
 * inherit the runtime and (under Deno) the permissions of the main process, and they end with it —
 * so an interrupted evaluation leaves no orphaned worker writing to a closed pipe.
 */
import { Worker } from "node:worker_threads";
import { InputError } from "../errors.ts";
import type { Backend } from "../interfaces.ts";
import { type PromptOutcome, evaluatePrompt } from "./prompt-eval.ts";
import type { EvalPrompt } from "./prompts.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./worker-protocol.ts";

export interface PoolCallbacks {
  /** A setting of a prompt finished. */
  onSetting(promptId: string): void;
}

/** Lets pending events (a progress redraw, Ctrl-C) run between two prompts of a long synchronous loop. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** In this thread, on the given backend, one prompt at a time with the event loop served in between. */
export async function evaluateInProcess(
  backend: Backend,
  init: WorkerInit,
  prompts: readonly EvalPrompt[],
  cb: PoolCallbacks,
): Promise<PromptOutcome[]> {
  const outcomes: PromptOutcome[] = [];
  for (const p of prompts) {
    outcomes.push(evaluatePrompt(backend, init.classes, p, init.settings, init.attention, () => cb.onSetting(p.id)));
    await yieldToEventLoop();
  }
  return outcomes;
}

/**
 * Starts one worker thread. From dist/ (plain Node) its module is worker.js. From the sources it is
 * worker.ts: Deno and Bun run it as is; Node needs tsx, whose loader a thread does not get from its
 * parent in Node 20 (a flag like `--import tsx` in the thread's execArgv is not honoured for
 * module hooks there), so the thread starts with a line that loads worker.ts through tsx's API.
 */
function startWorker(): Worker {
  const fromSources = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSources ? "./worker.ts" : "./worker.js", import.meta.url);
  const runsTypeScript = process.versions.deno !== undefined || process.versions.bun !== undefined;
  if (!fromSources || runsTypeScript) return new Worker(entry);
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ` +
    `${JSON.stringify(entry.href)}));`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * Evaluates the prompts in `workers` threads, or, on the gpu.js backend with one worker asked for,
 * in this thread on `backend` (it holds a GL context and kernels that are not rebuilt elsewhere).
 * The CPU backends (reference, wasm, auto) are rebuilt in a thread from the model file, so even one
 * worker is a thread: this thread stays free to draw the progress bar and to act on Ctrl-C at once,
 * not after the prompt at hand.
 */
export async function evaluatePrompts(
  backend: Backend,
  init: WorkerInit,
  prompts: readonly EvalPrompt[],
  workers: number,
  cb: PoolCallbacks,
): Promise<PromptOutcome[]> {
  if (workers > 1 || init.backend.backend !== "gpu") return evaluateInWorkers(init, prompts, workers, cb);
  return evaluateInProcess(backend, init, prompts, cb);
}

/** In `workers` threads; each takes the next prompt when it is done with one. */
export async function evaluateInWorkers(
  init: WorkerInit,
  prompts: readonly EvalPrompt[],
  workers: number,
  cb: PoolCallbacks,
): Promise<PromptOutcome[]> {
  const results: (PromptOutcome | undefined)[] = new Array(prompts.length);
  let next = 0;
  const threads: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(workers, prompts.length) }, () => {
        const worker = startWorker();
        threads.push(worker);
        return new Promise<void>((resolve, reject) => {
          const send = (m: ToWorker) => worker.postMessage(m);
          const feed = () => {
            if (next >= prompts.length) return resolve();
            const index = next++;
            send({ type: "prompt", index, prompt: prompts[index]! });
          };
          worker.on("message", (m: FromWorker) => {
            if (m.type === "ready") feed();
            else if (m.type === "setting") cb.onSetting(prompts[m.index]!.id);
            else if (m.type === "done") {
              results[m.index] = m.outcome;
              feed();
            } else reject(m.userError ? new InputError(m.message) : new Error(`evaluation worker failed: ${m.message}`));
          });
          worker.on("error", reject);
          worker.on("exit", (code) => reject(new Error(`evaluation worker exited (code ${code}) before the work was done`)));
          send({ type: "init", init });
        });
      }),
    );
  } finally {
    // Done or failed: stop every thread (an idle one would keep the process alive).
    await Promise.all(
      threads.map((t) => {
        t.removeAllListeners("exit");
        return t.terminate();
      }),
    );
  }
  return results.map((r, i) => {
    if (!r) throw new Error(`no result for prompt ${prompts[i]!.id}`);
    return r;
  });
}
