/**
 * llama2.c checkpoint reader (Karpathy's `run.c` format): a 28-byte header of 7 int32
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; negative vocab_size
 * means an untied classifier follows), then float32 tensors in a fixed order.
 * And its tokenizer file: int32 max token length, then per token float32 score, int32 length, bytes.
 */
import { validateConfig } from "./config.ts";
import { ByteReader, firstNonFinite } from "./reader.ts";
import { TokenType, type LayerWeights, type LlamaModel, type Vocab } from "./types.ts";

const HEADER_BYTES = 28;

export function parseLlama2c(bytes: Uint8Array, path: string, vocab?: Vocab): LlamaModel {
  const r = new ByteReader(bytes, path);
  if (bytes.byteLength < HEADER_BYTES)
    r.fail(`truncated: ${bytes.byteLength} bytes, a llama2.c checkpoint header alone is ${HEADER_BYTES}`);
  const dim = r.i32("dim");
  const hiddenDim = r.i32("hidden_dim");
  const nLayers = r.i32("n_layers");
  const nHeads = r.i32("n_heads");
  const nKvHeads = r.i32("n_kv_heads");
  const signedVocab = r.i32("vocab_size");
  const seqLen = r.i32("seq_len");
  const shared = signedVocab > 0;
  if (dim > 0 && nHeads > 0 && dim % nHeads !== 0) {
    r.fail(`invalid model hyperparameters (dim ${dim} is not a multiple of n_heads ${nHeads})`);
  }
  const c = validateConfig(
    {
      dim,
      hiddenDim,
      nLayers,
      nHeads,
      nKvHeads,
      vocabSize: Math.abs(signedVocab),
      contextLength: seqLen,
      trainedContextLength: seqLen,
      headDim: nHeads > 0 ? dim / nHeads : 0,
      ropeTheta: 10000,
      // run.c uses the float literal 1e-5f; GGUF stores the same float32 value.
      normEps: Math.fround(1e-5),
    },
    path,
  );
  const kvDim = c.nKvHeads * c.headDim;
  const L = c.nLayers;
  // Sizes in floats, in file order; the two RoPE tables are legacy and skipped.
  const ropeTable = c.contextLength * (c.headDim / 2);
  const expected =
    c.vocabSize * c.dim +
    L * c.dim +
    L * c.dim * c.dim +
    2 * L * c.dim * kvDim +
    L * c.dim * c.dim +
    L * c.dim +
    3 * L * c.dim * c.hiddenDim +
    c.dim +
    2 * ropeTable +
    (shared ? 0 : c.vocabSize * c.dim);
  const expectedBytes = HEADER_BYTES + 4 * expected;
  if (bytes.byteLength < expectedBytes) {
    r.fail(`truncated: the header implies ${expectedBytes} bytes of weights, the file has ${bytes.byteLength}`);
  }
  if (bytes.byteLength > expectedBytes) {
    r.fail(
      `${bytes.byteLength - expectedBytes} unexpected bytes after the weights (header says ${expectedBytes}); is this ` +
        `a llama2.c checkpoint of version 0?`,
    );
  }
  if (vocab && vocab.pieces.length !== c.vocabSize) {
    r.fail(`tokenizer has ${vocab.pieces.length} tokens but the checkpoint's vocab size is ${c.vocabSize}`);
  }

  // A NaN or infinite weight is refused here: one is enough to make every logit NaN.
  const weights = (n: number, what: string) => {
    const values = r.f32Array(n, what);
    const bad = firstNonFinite(values);
    if (bad >= 0) r.fail(`${what} has a non-finite weight (${values[bad]}) at index ${bad}; the file is corrupt`);
    return values;
  };
  const tokenEmbedding = weights(c.vocabSize * c.dim, "token_embedding_table");
  const perLayer = (n: number, what: string) => Array.from({ length: L }, (_, l) => weights(n, `${what} of layer ${l}`));
  const attnNorm = perLayer(c.dim, "rms_att_weight");
  const wq = perLayer(c.dim * c.dim, "wq");
  const wk = perLayer(kvDim * c.dim, "wk");
  const wv = perLayer(kvDim * c.dim, "wv");
  const wo = perLayer(c.dim * c.dim, "wo");
  const ffnNorm = perLayer(c.dim, "rms_ffn_weight");
  const w1 = perLayer(c.hiddenDim * c.dim, "w1");
  const w2 = perLayer(c.dim * c.hiddenDim, "w2");
  const w3 = perLayer(c.hiddenDim * c.dim, "w3");
  const outputNorm = weights(c.dim, "rms_final_weight");
  r.raw(2 * ropeTable * 4, "freq_cis tables");
  const output = shared ? tokenEmbedding : weights(c.vocabSize * c.dim, "wcls");

  const layers = layersOf({ attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3 });
  return {
    config: c,
    weights: { tokenEmbedding, layers, outputNorm, output },
    ...(vocab ? { vocab } : {}),
    source: { path, format: "llama2c" },
  };
}

/**
 * Layer l's weights from per-kind arrays of all layers (llama2.c stores each kind for every layer
 * together; llama2c-q80.ts reads the same order).
 */
type PlainLayer = Required<Pick<LayerWeights, "attnNorm" | "wq" | "wk" | "wv" | "wo" | "ffnNorm" | "w1" | "w2" | "w3">>;
export function layersOf(kinds: { readonly [K in keyof PlainLayer]: readonly Float32Array[] }): LayerWeights[] {
  return kinds.attnNorm.map((_, l) => ({
    attnNorm: kinds.attnNorm[l]!,
    wq: kinds.wq[l]!,
    wk: kinds.wk[l]!,
    wv: kinds.wv[l]!,
    wo: kinds.wo[l]!,
    ffnNorm: kinds.ffnNorm[l]!,
    w1: kinds.w1[l]!,
    w2: kinds.w2[l]!,
    w3: kinds.w3[l]!,
  }));
}

const MAX_PIECE_BYTES = 1 << 16;
const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

/**
 * Reads a llama2.c tokenizer file. Its pieces use a real space and `\n<s>\n` / `\n</s>\n`
 * for BOS/EOS (llama2.c's export); we map them back to SentencePiece's `▁`, `<s>`, `</s>`
 * so both loaders give the same {@link Vocab}. `vocabSize` is the model's; without it we read to the end.
 */
export function parseLlama2cTokenizer(bytes: Uint8Array, path: string, vocabSize?: number): Vocab {
  const r = new ByteReader(bytes, path);
  const maxLen = r.i32("max_token_length");
  if (maxLen <= 0 || maxLen > MAX_PIECE_BYTES) r.fail(`max_token_length ${maxLen} is not plausible`);
  const utf8 = new TextDecoder("utf-8");
  const pieces: string[] = [];
  const scores: number[] = [];
  while (vocabSize === undefined ? r.remaining > 0 : pieces.length < vocabSize) {
    const score = r.f32(`score of token ${pieces.length}`);
    const len = r.i32(`length of token ${pieces.length}`);
    if (len < 0 || len > maxLen) r.fail(`token ${pieces.length} is ${len} bytes long, over max_token_length ${maxLen}`);
    let piece = utf8.decode(r.raw(len, `token ${pieces.length}`));
    if (piece === "\n<s>\n") piece = "<s>";
    else if (piece === "\n</s>\n") piece = "</s>";
    else piece = piece.replaceAll(" ", "▁");
    pieces.push(piece);
    scores.push(score);
  }
  if (vocabSize !== undefined && r.remaining > 0)
    r.fail(`${r.remaining} bytes left after ${vocabSize} tokens; wrong tokenizer for this model?`);
  if (pieces.length < 3) r.fail(`only ${pieces.length} tokens; a Llama vocab has at least <unk>, <s>, </s>`);
  const types = new Int32Array(pieces.length).map((_, i) => {
    const p = pieces[i]!;
    if (p === "<unk>") return TokenType.UNKNOWN;
    if (p === "<s>" || p === "</s>") return TokenType.CONTROL;
    if (BYTE_PIECE.test(p)) return TokenType.BYTE;
    return TokenType.NORMAL;
  });
  return { pieces, scores: new Float32Array(scores), types, bosId: 1, eosId: 2, unkId: 0, addBos: true };
}
