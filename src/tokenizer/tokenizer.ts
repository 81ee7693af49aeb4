/**
 * The tokenizer of a {@link Vocab}: SentencePiece (spm.ts) or byte-level BPE (bpe.ts), with
 * llama.cpp's handling of special tokens around either (`llama_vocab::tokenize`): the text is
 * first cut at every occurrence of a special piece, longest pieces first — user-defined pieces
 * always, control pieces (`<|im_start|>`, `<|eot_id|>`, ...) only when `special` is asked for —
 * and the text between them is encoded by the vocabulary's own model.
 */
import { InputError } from "../errors.ts";
import { TokenType, type Vocab } from "../model/types.ts";
import { BpeEncoder } from "./bpe.ts";
import { byteLevelDecode } from "../model/byte-level.ts";
import { PRE_TOKENIZERS } from "./pretokenize.ts";
import { SPACE, SpmEncoder } from "./spm.ts";

export { SPACE } from "./spm.ts";

export interface EncodeOptions {
  /** Prepend BOS (default: the vocab's `addBos`). */
  bos?: boolean;
  /** Append EOS (default: the vocab's `addEos`, false unless the file says so). */
  eos?: boolean;
  /** Read control pieces written in the text as their tokens (llama.cpp's `parse_special`; default false). */
  special?: boolean;
}

export class Tokenizer {
  private readonly ids = new Map<string, number>();
  /** Bytes each token decodes to; control tokens decode to nothing. */
  private readonly pieceBytes: Uint8Array[];
  /** Special pieces (control, user-defined, unknown), longest first. */
  private readonly specials: readonly number[];
  private readonly spm?: SpmEncoder;
  private readonly bpe?: BpeEncoder;
  readonly vocab: Vocab;

  constructor(vocab: Vocab) {
    this.vocab = vocab;
    const enc = new TextEncoder();
    const byteIds = new Int32Array(256).fill(-1);
    const isBpe = vocab.model === "bpe";
    this.pieceBytes = vocab.pieces.map((piece, id) => {
      if (!this.ids.has(piece)) this.ids.set(piece, id);
      const type = vocab.types[id];
      const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      if (type === TokenType.BYTE && byte) {
        const b = parseInt(byte[1]!, 16);
        if (byteIds[b] === -1) byteIds[b] = id;
        return new Uint8Array([b]);
      }
      if (type === TokenType.CONTROL || type === TokenType.UNKNOWN || type === TokenType.UNUSED) return new Uint8Array(0);
      if (type === TokenType.USER_DEFINED) return enc.encode(piece);
      return isBpe ? byteLevelDecode(piece) : enc.encode(piece.replaceAll(SPACE, " "));
    });
    this.specials = vocab.pieces
      .map((_, id) => id)
      .filter((id) => {
        const t = vocab.types[id];
        return vocab.pieces[id]!.length > 0 && (t === TokenType.CONTROL || t === TokenType.USER_DEFINED || t === TokenType.UNKNOWN);
      })
      .sort((a, b) => vocab.pieces[b]!.length - vocab.pieces[a]!.length || a - b);
    if (isBpe) {
      const pre = PRE_TOKENIZERS[vocab.pre ?? "default"];
      if (pre === undefined || vocab.merges === undefined) {
        throw new InputError(`this vocabulary's pre-tokenizer ${JSON.stringify(vocab.pre)} is not one fastgen-ts knows`);
      }
      this.bpe = new BpeEncoder(vocab.merges, this.ids, pre);
    } else {
      this.spm = new SpmEncoder(vocab, this.ids, byteIds);
    }
  }

  get vocabSize(): number {
    return this.vocab.pieces.length;
  }

  /**
   * Tokens that end generation: EOS, BOS (a llama2.c story ends where the next begins), and the
   * vocabulary's end-of-turn pieces (`<|eot_id|>`, `<|im_end|>`, ...).
   */
  get stopTokens(): number[] {
    return [...new Set([this.vocab.bosId, this.vocab.eosId, ...(this.vocab.stopIds ?? [])])];
  }

  /**
   * A prompt's tokens: `encode` with the vocabulary's defaults, and "" as BOS alone, also where the
   * vocabulary adds no BOS of its own (Qwen, SmolLM2) — a model needs one token to start from.
   */
  promptTokens(text: string): number[] {
    const tokens = this.encode(text);
    return tokens.length > 0 ? tokens : [this.vocab.bosId];
  }

  /** The id of a piece, if the vocab has it. */
  idOf(piece: string): number | undefined {
    return this.ids.get(piece);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const tokens: number[] = [];
    if (options.bos ?? this.vocab.addBos) tokens.push(this.vocab.bosId);
    // SentencePiece's dummy space goes before the first text and after every special token.
    let afterSpecial = true;
    for (const part of this.partition(text, options.special ?? false)) {
      if (typeof part === "number") {
        tokens.push(part);
        afterSpecial = true;
      } else if (this.bpe) {
        this.bpe.encode(part, tokens);
      } else {
        this.spm!.encode(part, afterSpecial, tokens);
        afterSpecial = false;
      }
    }
    if (options.eos ?? this.vocab.addEos ?? false) tokens.push(this.vocab.eosId);
    return tokens;
  }

  /** The text cut into plain text and special token ids (llama.cpp's `tokenizer_st_partition`). */
  private partition(text: string, special: boolean): (string | number)[] {
    let parts: (string | number)[] = text.length > 0 ? [text] : [];
    for (const id of this.specials) {
      if (!special && this.vocab.types[id] !== TokenType.USER_DEFINED) continue;
      const piece = this.vocab.pieces[id]!;
      if (!parts.some((p) => typeof p === "string" && p.includes(piece))) continue;
      parts = parts.flatMap((p) => {
        if (typeof p !== "string") return [p];
        const cut: (string | number)[] = [];
        p.split(piece).forEach((s, i) => {
          if (i > 0) cut.push(id);
          if (s.length > 0) cut.push(s);
        });
        return cut;
      });
    }
    return parts;
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

  /** Whether decoding drops the first space (SentencePiece's dummy prefix); byte-level BPE adds none. */
  get dropsLeadingSpace(): boolean {
    return this.spm !== undefined;
  }

  /** Bytes a token decodes to (for {@link TextStream}). */
  bytesOf(token: number): Uint8Array {
    const bytes = this.pieceBytes[token];
    if (bytes === undefined) throw new InputError(`token id ${token} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return bytes;
  }
}

/**
 * Streaming decode: each token's bytes (`▁` → space for SentencePiece, the byte-level alphabet
 * for BPE, byte pieces → bytes, control tokens → nothing), with UTF-8 that spans token boundaries
 * held back until the character is complete. Like SentencePiece, the leading space of the first
 * text piece is dropped for SentencePiece vocabularies (it is the dummy prefix added by encoding).
 */
export class TextStream {
  private readonly utf8 = new TextDecoder("utf-8");
  private atStart: boolean;
  private readonly tokenizer: Tokenizer;

  constructor(tokenizer: Tokenizer) {
    this.tokenizer = tokenizer;
    this.atStart = tokenizer.dropsLeadingSpace;
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
