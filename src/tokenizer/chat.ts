/**
 * Chat prompts: the model file's Jinja chat template (GGUF `tokenizer.chat_template`) rendered
 * with `@huggingface/jinja` — the renderer transformers.js uses — for the messages and the
 * assistant's generation prompt, then tokenized with control pieces parsed (`<|im_start|>` is one
 * token), BOS added only where the template did not write it already.
 */
import { Template } from "@huggingface/jinja";
import { z } from "zod";
import { InputError } from "../errors.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}

const messagesSchema = z
  .array(
    z.object({
      role: z.enum(["system", "user", "assistant"], { error: 'role must be "system", "user" or "assistant"' }),
      content: z.string({ error: "content must be a string" }),
    }),
  )
  .min(1, "a chat needs at least one message");

/**
 * Templates may ask for today's date (Llama 3.x reads `date_string` before it falls back on the
 * renderer's `strftime_now`); a fixed one keeps runs reproducible — llama.cpp's default is the same day.
 */
const DATE_STRING = "26 Jul 2024";

/** The template rendered for `messages` and the assistant's turn. */
export function renderChat(tokenizer: Tokenizer, messages: readonly ChatMessage[]): string {
  const parsed = messagesSchema.safeParse(messages);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InputError(`chat messages${i.path.length ? `[${i.path.join("].")}` : ""}: ${i.message}`);
  }
  const { vocab } = tokenizer;
  if (vocab.chatTemplate === undefined) {
    throw new InputError("this model's file has no chat template (tokenizer.chat_template); give a plain prompt instead");
  }
  let template: Template;
  try {
    template = new Template(vocab.chatTemplate);
  } catch (e) {
    throw new InputError(`the model's chat template does not parse: ${(e as Error).message}`);
  }
  try {
    return template.render({
      messages: parsed.data,
      add_generation_prompt: true,
      bos_token: vocab.pieces[vocab.bosId] ?? "",
      eos_token: vocab.pieces[vocab.eosId] ?? "",
      date_string: DATE_STRING,
    });
  } catch (e) {
    throw new InputError(`the model's chat template failed: ${(e as Error).message}`);
  }
}

/** The tokens of a chat prompt (see the file comment). */
export function encodeChat(tokenizer: Tokenizer, messages: readonly ChatMessage[]): number[] {
  const text = renderChat(tokenizer, messages);
  const { vocab } = tokenizer;
  const bosPiece = vocab.pieces[vocab.bosId]!;
  const templateWroteBos = bosPiece.length > 0 && text.startsWith(bosPiece);
  return tokenizer.encode(text, { special: true, ...(templateWroteBos ? { bos: false } : {}) });
}
