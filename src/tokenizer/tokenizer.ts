/**
 * SentencePiece-style BPE tokenizer over a {@link Vocab} (from GGUF or a llama2.c tokenizer file).
 * Encoding follows SentencePiece / llama2.c: a dummy leading space, one piece per character
 * (bytes `<0xNN>` where a character has no piece), then repeatedly merge the adjacent pair whose
 * merged piece has the highest score (leftmost on ties) until no pair merges.
 */
import { InputError } from "../errors.ts";
import { TokenType, type Vocab } from "../model/types.ts";

export const SPACE = "▁";

export interface EncodeOptions {
  /** Prepend BOS (default: the vocab's `addBos`). */
  bos?: boolean;
  /** Append EOS (default false). */
  eos?: boolean;
}

export class Tokenizer {
  private readonly ids = new Map<string, number>();
  /** Id of `<0xNN>` for each byte, or -1 where the vocab lacks it. */
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Bytes each token decodes to; control tokens decode to nothing. */
  private readonly pieceBytes: Uint8Array[];
  readonly vocab: Vocab;

  constructor(vocab: Vocab) {
    if (vocab.model === "bpe") {
      // Read and validated (src/model/gguf-vocab.ts), but not yet encoded: an SPM encoder would
      // produce wrong ids without a word of warning, so none is made.
      throw new InputError(
        `this file's tokenizer is GPT-2 byte-level BPE (tokenizer.ggml.pre "${vocab.pre}"), which fastgen-ts cannot encode yet; ` +
          "the model itself loads and runs on token ids (synth --like writes SentencePiece vocabularies)",
      );
    }
    this.vocab = vocab;
    const enc = new TextEncoder();
    this.pieceBytes = vocab.pieces.map((piece, id) => {
      if (!this.ids.has(piece)) this.ids.set(piece, id);
      const type = vocab.types[id];
      const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      if (type === TokenType.BYTE && byte) {
        const b = parseInt(byte[1]!, 16);
        if (this.byteIds[b] === -1) this.byteIds[b] = id;
        return new Uint8Array([b]);
      }
      if (type === TokenType.CONTROL || type === TokenType.UNKNOWN || type === TokenType.UNUSED) return new Uint8Array(0);
      return enc.encode(piece.replaceAll(SPACE, " "));
    });
  }

  get vocabSize(): number {
    return this.vocab.pieces.length;
  }

  /** The id of a piece, if the vocab has it. */
  idOf(piece: string): number | undefined {
    return this.ids.get(piece);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const tokens: number[] = [];
    if (options.bos ?? this.vocab.addBos) tokens.push(this.vocab.bosId);
    if (text.length > 0) {
      // SentencePiece normalisation: spaces become ▁, plus a dummy prefix.
      const normalized = SPACE + text.replaceAll(" ", SPACE);
      const pieces: number[] = [];
      for (const ch of normalized) {
        const id = this.ids.get(ch);
        if (id !== undefined) {
          pieces.push(id);
          continue;
        }
        // Byte fallback: one <0xNN> piece per UTF-8 byte, <unk> where even that is missing.
        for (const b of new TextEncoder().encode(ch)) {
          const bid = this.byteIds[b]!;
          pieces.push(bid >= 0 ? bid : this.vocab.unkId);
        }
      }
      this.merge(pieces);
      tokens.push(...pieces);
    }
    if (options.eos) tokens.push(this.vocab.eosId);
    return tokens;
  }

  /**
   * Greedy BPE: merge the best-scoring adjacent pair (leftmost on ties) until none is in the vocab.
   * The merged id of every adjacent pair is kept in `pairs` and only the two pairs around a merge are
   * looked up again, so each pass is a scan of numbers rather than of concatenated strings: a
   * prompt of many kilobytes encodes in milliseconds instead of seconds.
   */
  private merge(pieces: number[]): void {
    const pairId = (a: number, b: number) => this.ids.get(this.vocab.pieces[a]! + this.vocab.pieces[b]!) ?? -1;
    // pairs[i]: id of pieces[i] + pieces[i + 1], or -1.
    const pairs: number[] = [];
    for (let i = 0; i + 1 < pieces.length; i++) pairs.push(pairId(pieces[i]!, pieces[i + 1]!));
    const scores = this.vocab.scores;
    for (;;) {
      let bestScore = -Infinity;
      let bestAt = -1;
      for (let i = 0; i < pairs.length; i++) {
        const merged = pairs[i]!;
        if (merged >= 0 && scores[merged]! > bestScore) {
          bestScore = scores[merged]!;
          bestAt = i;
        }
      }
      if (bestAt < 0) return;
      pieces.splice(bestAt, 2, pairs[bestAt]!);
      pairs.splice(bestAt, 1);
      if (bestAt > 0) pairs[bestAt - 1] = pairId(pieces[bestAt - 1]!, pieces[bestAt]!);
      if (bestAt < pairs.length) pairs[bestAt] = pairId(pieces[bestAt]!, pieces[bestAt + 1]!);
    }
  }

  /** Decodes a whole sequence; see {@link TextStream} for the rules. */
  decode(tokens: readonly number[]): string {
    const stream = this.stream();
    return tokens.map((t) => stream.push(t)).join("") + stream.flush();
  }

  /** A decoder for tokens arriving one at a time (streamed generation). */
  stream(): TextStream {
    return new TextStream(this);
  }

  /** Bytes a token decodes to (for {@link TextStream}). */
  bytesOf(token: number): Uint8Array {
    const bytes = this.pieceBytes[token];
    if (bytes === undefined) throw new InputError(`token id ${token} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return bytes;
  }
}

/**
 * Streaming decode: `▁` → space, byte pieces → bytes, control tokens → nothing, and UTF-8 that spans
 * token boundaries is held back until complete. Like SentencePiece, the leading space of the first
 * text piece is dropped (it is the dummy prefix added by encoding).
 */
export class TextStream {
  private readonly utf8 = new TextDecoder("utf-8");
  private atStart = true;
  private readonly tokenizer: Tokenizer;

  constructor(tokenizer: Tokenizer) {
    this.tokenizer = tokenizer;
  }

  push(token: number): string {
    let bytes = this.tokenizer.bytesOf(token);
    if (bytes.length === 0) return "";
    if (this.atStart) {
      this.atStart = false;
      if (bytes[0] === 0x20) bytes = bytes.subarray(1);
    }
    return this.utf8.decode(bytes, { stream: true });
  }

  /** Whatever bytes are still pending (an incomplete character becomes U+FFFD). */
  flush(): string {
    return this.utf8.decode();
  }
}
