/**
 * A worker thread of the evaluation pool (pool.ts): loads the model once, then evaluates the prompts
 * it is sent, reporting each finished setting (for the progress bar) and each finished prompt.
 */
import { parentPort } from "node:worker_threads";
import type { Backend } from "../interfaces.ts";
import { createBackend } from "../create-backend.ts";
import { InputError } from "../errors.ts";
import { loadModel } from "../model/load.ts";
import { evaluatePrompt } from "./prompt-eval.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./worker-protocol.ts";

if (!parentPort) throw new Error("src/eval/worker.ts runs as a worker thread of the evaluation pool (src/eval/pool.ts)");
const port = parentPort;

let state: { init: WorkerInit; backend: Backend } | undefined;

const send = (m: FromWorker) => port.postMessage(m);

async function handle(m: ToWorker): Promise<void> {
  if (m.type === "init") {
    const model = loadModel(m.init.modelPath, m.init.tokenizerPath ? { tokenizerPath: m.init.tokenizerPath } : {});
    state = { init: m.init, backend: await createBackend(model, m.init.backend) };
    send({ type: "ready" });
    return;
  }
  if (!state) throw new Error("worker got a prompt before init");
  const { init, backend } = state;
  const outcome = evaluatePrompt(backend, init.classes, m.prompt, init.settings, init.attention, () =>
    send({ type: "setting", index: m.index }),
  );
  send({ type: "done", index: m.index, outcome });
}

port.on("message", (m: ToWorker) => {
  handle(m).catch((e: unknown) => {
    if (e instanceof InputError) send({ type: "error", message: e.message, userError: true });
    else send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  });
});
