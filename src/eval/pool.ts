/**
 * Evaluates prompts in parallel worker processes (one model each), or in this process when one
 * worker is asked for. Worker processes run the TypeScript through tsx's loader, like the CLI.
 * Results come back in prompt order whatever order they finish in.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Backend } from "../interfaces.ts";
import { type PromptOutcome, evaluatePrompt } from "./prompt-eval.ts";
import type { EvalPrompt } from "./prompts.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./worker-protocol.ts";

export interface PoolCallbacks {
  /** A setting of a prompt finished. */
  onSetting(promptId: string): void;
}

/** In this process, on the given backend. */
export function evaluateInProcess(backend: Backend, init: WorkerInit, prompts: readonly EvalPrompt[], cb: PoolCallbacks): PromptOutcome[] {
  return prompts.map((p) => evaluatePrompt(backend, init.classes, p, init.settings, init.attention, () => cb.onSetting(p.id)));
}

function startWorker(): ChildProcess {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const entry = fileURLToPath(new URL("./worker.ts", import.meta.url));
  return fork(entry, [], { execArgv: ["--import", tsx], serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** In `workers` processes; each takes the next prompt when it is done with one. */
export async function evaluateInWorkers(init: WorkerInit, prompts: readonly EvalPrompt[], workers: number, cb: PoolCallbacks): Promise<PromptOutcome[]> {
  const results: (PromptOutcome | undefined)[] = new Array(prompts.length);
  let next = 0;
  const children: ChildProcess[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(workers, prompts.length) }, () => {
        const child = startWorker();
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          const send = (m: ToWorker) => child.send(m);
          const feed = () => {
            if (next >= prompts.length) return resolve();
            const index = next++;
            send({ type: "prompt", index, prompt: prompts[index]! });
          };
          child.on("message", (m: FromWorker) => {
            if (m.type === "ready") feed();
            else if (m.type === "setting") cb.onSetting(prompts[m.index]!.id);
            else if (m.type === "done") {
              results[m.index] = m.outcome;
              feed();
            } else reject(new Error(`evaluation worker failed: ${m.message}`));
          });
          child.on("error", reject);
          child.on("exit", (code) => reject(new Error(`evaluation worker exited (code ${code}) before the work was done`)));
          send({ type: "init", init });
        });
      }),
    );
  } finally {
    for (const c of children) {
      c.removeAllListeners("exit");
      if (c.connected) c.disconnect();
    }
  }
  return results.map((r, i) => {
    if (!r) throw new Error(`no result for prompt ${prompts[i]!.id}`);
    return r;
  });
}
