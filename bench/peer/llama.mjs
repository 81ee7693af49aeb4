// llama.cpp through node-llama-cpp, timed the way bench/llama-cpp.ts times our backends.
// Lives in bench/peer so that node-llama-cpp resolves from bench/peer/node_modules.
import { getLlama } from "node-llama-cpp";

let llama;

/**
 * @param {{ modelPath: string, tokens: number[], prefill: number, decode: number, threads: number, repeats: number }} o
 * @returns {Promise<{ prefillMs: number, decodeMs: number, version: string, generated: number[] }>}
 */
export async function measure(o) {
  llama ??= await getLlama({ gpu: false, build: "never", logLevel: "error" });
  const model = await llama.loadModel({ modelPath: o.modelPath });
  const best = { prefillMs: Infinity, decodeMs: Infinity, generated: [] };
  for (let r = 0; r < o.repeats; r++) {
    const ctx = await model.createContext({
      contextSize: Math.max(256, o.prefill + o.decode + 8),
      threads: o.threads,
      batchSize: Math.max(o.prefill, 32),
    });
    const seq = ctx.getSequence();
    const prompt = o.tokens.slice(0, o.prefill);
    let t0 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
    const prefillMs = performance.now() - t0;
    // Decode: greedy continuation of the last prompt token (each step one token through the model).
    const generated = [];
    t0 = performance.now();
    for await (const t of seq.evaluate(prompt.slice(-1), { temperature: 0 })) {
      generated.push(t);
      if (generated.length >= o.decode) break;
    }
    const decodeMs = performance.now() - t0;
    if (prefillMs + decodeMs < best.prefillMs + best.decodeMs) Object.assign(best, { prefillMs, decodeMs, generated });
    await ctx.dispose();
  }
  await model.dispose();
  return { ...best, version: "node-llama-cpp 3.21.1" };
}

/**
 * Decode at a long context: prefill `prefill` tokens, then `decode` greedy steps, timing the steps
 * only, with flash attention on or off. The whole cache is kept (llama.cpp has no eviction).
 * @param {{ modelPath: string, tokens: number[], prefill: number, decode: number, threads: number, flashAttention: boolean }} o
 * @returns {Promise<{ prefillMs: number, decodeMs: number, generated: number[] }>}
 */
export async function measureLongContext(o) {
  llama ??= await getLlama({ gpu: false, build: "never", logLevel: "error" });
  const model = await llama.loadModel({ modelPath: o.modelPath });
  try {
    const ctx = await model.createContext({
      contextSize: o.prefill + o.decode + 8,
      threads: o.threads,
      batchSize: 512,
      flashAttention: o.flashAttention,
    });
    const seq = ctx.getSequence();
    let t0 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(o.tokens.slice(0, o.prefill - 1));
    const prefillMs = performance.now() - t0;
    const generated = [];
    t0 = performance.now();
    for await (const t of seq.evaluate(o.tokens.slice(o.prefill - 1, o.prefill), { temperature: 0 })) {
      generated.push(t);
      if (generated.length >= o.decode) break;
    }
    const decodeMs = performance.now() - t0;
    await ctx.dispose();
    return { prefillMs, decodeMs, generated };
  } finally {
    await model.dispose();
  }
}

/**
 * llama.cpp's next-token distribution after every prefix of `tokens` (controlledEvaluate with
 * probabilities), KV cache in F32 and flash attention off so that only the weights' and
 * activations' arithmetic differ;
 * and its tokenization of each of `texts` (model.tokenize, `special` as given).
 * @param {{ modelPath: string, vocabSize: number, tokens?: number[], texts?: string[], special?: boolean, threads?: number }} o
 * @returns {Promise<{ probabilities: Float64Array[], tokenized: number[][] }>}
 */
export async function inspect(o) {
  llama ??= await getLlama({ gpu: false, build: "never", logLevel: "error" });
  // Only the vocabulary is read when no tokens are evaluated (tokenizer comparisons).
  const model = await llama.loadModel({ modelPath: o.modelPath, vocabOnly: !(o.tokens && o.tokens.length > 0) });
  try {
    const tokenized = (o.texts ?? []).map((t) => [...model.tokenize(t, o.special ?? false)]);
    const vocabSize = o.vocabSize;
    const probabilities = [];
    if (o.tokens && o.tokens.length > 0) {
      const ctx = await model.createContext({
        contextSize: Math.max(64, o.tokens.length + 8),
        threads: o.threads ?? 1,
        // o.batchSize (default: all the tokens at once) picks llama.cpp's kernels: 1 runs its matrix–vector paths.
        batchSize: o.batchSize ?? Math.max(32, o.tokens.length),
        experimentalKvCacheKeyType: "F32",
        experimentalKvCacheValueType: "F32",
        // Off: node-llama-cpp turns it on by default, and llama.cpp's CPU flash attention rounds
        // the attention to F16 on the way (with an F32 cache), which alone cost 1e-3 in mean KL.
        flashAttention: false,
      });
      try {
        const seq = ctx.getSequence();
        const input = o.tokens.map((t) => [t, { generateNext: { probabilities: true } }]);
        const out = await seq.controlledEvaluate(input);
        for (const r of out) {
          const p = new Float64Array(vocabSize);
          for (const [t, v] of r?.next?.probabilities ?? []) p[t] = v;
          probabilities.push(p);
        }
      } finally {
        await ctx.dispose();
      }
    }
    return { probabilities, tokenized };
  } finally {
    await model.dispose();
  }
}
