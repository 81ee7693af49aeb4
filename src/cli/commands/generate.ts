/** `fastgen generate`: a story from a prompt, streamed, through the chosen cache policy. */
import { z } from "zod";
import { compressionSettingsSchema, POLICY_NAMES } from "../../fastgen/settings.ts";
import { generateCompressed } from "../../fastgen/pipeline.ts";
import { InputError } from "../../errors.ts";
import { samplingSchema } from "../../generation/sampler.ts";
import { type ChatMessage, encodeChat, renderChat } from "../../tokenizer/chat.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import {
  checkContext,
  checkPromptFits,
  COMPRESSION_FLAGS,
  encodePrompt,
  MODEL_FLAGS,
  modelFlagsSchema,
  openModel,
  tokenClassesFor,
} from "../common.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";

export const DEFAULT_PROMPT = "Once upon a time";

export const GENERATE_FLAGS: FlagSpecs = {
  prompt: { kind: "string", help: 'text to continue ("" for BOS alone)', default: `"${DEFAULT_PROMPT}"`, allowEmpty: true },
  "max-tokens": { kind: "number", help: "new tokens at most", default: "256" },
  temperature: { kind: "number", help: "0 = greedy", default: "0" },
  "top-p": { kind: "number", help: "nucleus sampling mass, (0, 1]", default: "0.9" },
  seed: { kind: "number", help: "sampling seed", default: "42" },
  chat: { kind: "boolean", help: "send --prompt as a user message through the file's chat template; print the reply" },
  system: { kind: "string", help: "--chat: a system message before the user's" },
  json: { kind: "boolean", help: "print one JSON object instead of streaming text" },
  ...MODEL_FLAGS,
  ...COMPRESSION_FLAGS,
  policy: { kind: "string", help: POLICY_NAMES.join(" | "), default: "full" },
};

const schema = modelFlagsSchema
  .extend(compressionSettingsSchema.omit({ policy: true }).shape)
  .extend(samplingSchema.shape)
  .extend({
    prompt: z.string().default(DEFAULT_PROMPT),
    maxTokens: z
      .number()
      .int("max-tokens must be a whole number")
      .min(0)
      .max(1 << 20)
      .default(256),
    json: z.boolean().default(false),
    chat: z.boolean().default(false),
    system: z.string().optional(),
    policy: compressionSettingsSchema.shape.policy.default("full"),
    special: z.string().optional(),
    punct: z.string().optional(),
  });

export async function generateCommand(argv: readonly string[], io: CommandIO): Promise<void> {
  const flags = validateFlags(schema, parseFlags(argv, GENERATE_FLAGS));
  if (flags.system !== undefined && !flags.chat) throw new InputError("--system goes with --chat");
  const { model, tokenizer, backend } = await openModel(flags);
  const classes = tokenClassesFor(tokenizer, flags.special, flags.punct);
  const settings = { ...flags, policy: flags.policy };
  const messages: ChatMessage[] = [
    ...(flags.system !== undefined ? [{ role: "system" as const, content: flags.system }] : []),
    { role: "user", content: flags.prompt },
  ];
  // A chat's messages pass encodePrompt's length check before the template is rendered around them.
  if (flags.chat) checkPromptFits(model, tokenizer, flags.prompt + (flags.system ?? ""), "--prompt");
  const promptTokens = flags.chat ? encodeChat(tokenizer, messages) : encodePrompt(model, tokenizer, flags.prompt, "--prompt");
  // The last generated token is not fed back, so n + maxTokens - 1 positions run.
  checkContext(
    model,
    promptTokens.length + flags.maxTokens - 1,
    `the prompt's ${promptTokens.length} tokens and --max-tokens ${flags.maxTokens}`,
    io.warn,
  );

  const stream = tokenizer.stream();
  // A chat prints the reply only; a continuation starts with its prompt.
  const echoed = promptTokens.map((t) => stream.push(t)).join("");
  if (!flags.json && !flags.chat) io.out(echoed);
  const started = performance.now();
  const { tokens, session } = generateCompressed(
    backend,
    classes,
    settings,
    promptTokens,
    { maxTokens: flags.maxTokens, sampling: flags, stopTokens: tokenizer.stopTokens },
    (t) => {
      if (!flags.json) io.out(stream.push(t.token));
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const summary = session.summary();
  if (flags.json) {
    io.out(
      JSON.stringify({
        text: flags.chat ? tokenizer.decode(tokens) : tokenizer.decode([...promptTokens, ...tokens]),
        ...(flags.chat ? { chat: { messages, prompt: renderChat(tokenizer, messages) } } : {}),
        tokens,
        promptTokens,
        policy: flags.policy,
        backend: backend.name,
        compression: summary,
        kvBytes: session.kvBytes(),
        heads: session.policyTable(),
        ...(flags.policy === "fastgen" ? { threshold: flags.threshold, gqa: flags.gqa } : {}),
      }) + "\n",
    );
  } else {
    io.out(stream.flush() + "\n");
    io.warn(
      `[${tokens.length} tokens in ${seconds.toFixed(2)} s, ${(tokens.length / seconds).toFixed(1)} tok/s, backend ${backend.name}, ` +
        `policy ${flags.policy}, KV compression ${(100 * summary.final).toFixed(1)}% at the end]`,
    );
  }
  backend.dispose();
}
