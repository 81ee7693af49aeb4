/**
 * `fastgen tokenize`: a text's token ids under the model's own tokenizer, so that tokenizers can be
 * compared from outside (llama.cpp's `llama-tokenize`, transformers). BOS as the file says
 * (`--no-bos` leaves it out); control pieces written in the text (`<|im_start|>`) stay text unless
 * `--special` is given, as in llama.cpp.
 */
import { readFileSync, statSync } from "node:fs";
import { z } from "zod";
import { InputError, printable, readProblem } from "../../errors.ts";
import { loadModel, resolveModelPath } from "../../model/load.ts";
import { Tokenizer } from "../../tokenizer/tokenizer.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";

export const TOKENIZE_FLAGS: FlagSpecs = {
  model: { kind: "string", help: "GGUF file or llama2.c checkpoint (else $FASTGEN_MODEL, else the search path)" },
  tokenizer: { kind: "string", help: "llama2.c tokenizer file (default: tok<vocab>.bin next to the checkpoint)" },
  text: { kind: "string", help: "the text to tokenize", allowEmpty: true },
  file: { kind: "string", help: "a UTF-8 text file to tokenize instead of --text" },
  special: { kind: "boolean", help: "read control pieces written in the text as their tokens (llama.cpp's parse_special)" },
  "no-bos": { kind: "boolean", help: "leave out the BOS token the file asks for" },
  pieces: { kind: "boolean", help: "print each token's piece beside its id (one per line)" },
  json: { kind: "boolean", help: 'print {"tokens":[...]} instead of the ids on one line' },
};

const schema = z.object({
  model: z.string().min(1).optional(),
  tokenizer: z.string().min(1).optional(),
  text: z.string().optional(),
  file: z.string().min(1).optional(),
  special: z.boolean().default(false),
  noBos: z.boolean().default(false),
  pieces: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** Largest --file read (tokenizing is fast, but a wrong path to a model file should not be read whole). */
const MAX_TEXT_BYTES = 64 * 2 ** 20;

function readText(path: string): string {
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > MAX_TEXT_BYTES)
      throw new InputError(`--file ${printable(path, 300)} is ${size} bytes, over the ${MAX_TEXT_BYTES}-byte limit`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`--file: cannot read ${printable(path, 300)}: ${readProblem(e)}`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    let valid = 0;
    // Find the first bad byte for the message: decode growing prefixes is slow, so scan by hand.
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i]!;
      const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
      if (n === 0 || i + n > bytes.length) break;
      let ok = true;
      for (let k = 1; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) ok = false;
      if (!ok) break;
      i += n;
      valid = i;
    }
    throw new InputError(`--file ${printable(path, 300)} is not UTF-8 text (bad byte at offset ${valid})`);
  }
}

export async function tokenizeCommand(argv: readonly string[], io: CommandIO): Promise<void> {
  const flags = validateFlags(schema, parseFlags(argv, TOKENIZE_FLAGS));
  if ((flags.text === undefined) === (flags.file === undefined)) throw new InputError("give exactly one of --text and --file");
  const text = flags.text ?? readText(flags.file!);
  const path = resolveModelPath(flags.model);
  const model = loadModel(path, flags.tokenizer ? { tokenizerPath: flags.tokenizer } : {});
  if (!model.vocab) throw new InputError(`${printable(path, 300)}: no tokenizer found; pass --tokenizer PATH (a llama2.c tokenizer file)`);
  const tokenizer = new Tokenizer(model.vocab);
  const tokens = tokenizer.encode(text, { special: flags.special, ...(flags.noBos ? { bos: false } : {}) });
  if (flags.json) io.out(`${JSON.stringify({ tokens })}\n`);
  else if (flags.pieces)
    io.out(tokens.map((t) => `${t}\t${JSON.stringify(model.vocab!.pieces[t])}`).join("\n") + (tokens.length ? "\n" : ""));
  else io.out(`${tokens.join(" ")}\n`);
}
