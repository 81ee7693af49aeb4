#!/usr/bin/env -S npx tsx
/**
 * The `fastgen` command line: `npx tsx src/cli.ts <command> [flags]` or `npm run fastgen -- <command>`.
 */
// First: under Deno, refuse a command whose permissions are missing before the command modules load.
import "./cli/deno-guard.ts";
import { helpText } from "./cli/args.ts";
import { EVAL_FLAGS, evalCommand } from "./cli/commands/eval.ts";
import { TASK_FLAGS } from "./cli/commands/eval-task.ts";
import { GENERATE_FLAGS, generateCommand } from "./cli/commands/generate.ts";
import { LOGITS_FLAGS, logitsCommand } from "./cli/commands/logits.ts";
import { TOKENIZE_FLAGS, tokenizeCommand } from "./cli/commands/tokenize.ts";
import { PROFILE_FLAGS, profileCommand } from "./cli/commands/profile.ts";
import { SAMPLE_PROMPTS_FLAGS, samplePromptsCommand } from "./cli/commands/sample-prompts.ts";
import { SYNTH_FLAGS, synthCommand } from "./cli/commands/synth.ts";
import { deniedByDeno, missingPermissionMessage, missingPermissionsLine } from "./cli/deno-permissions.ts";
import { interruptible } from "./cli/interrupt.ts";
import { type CommandIO, processIO } from "./cli/io.ts";
import { InputError, printable } from "./errors.ts";
import { isMainModule } from "./is-main.ts";

interface Command {
  readonly summary: string;
  readonly flags: Parameters<typeof helpText>[2];
  run(argv: readonly string[], io: CommandIO): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  generate: { summary: "continue a prompt (streams text; --json for one object)", flags: GENERATE_FLAGS, run: generateCommand },
  profile: {
    summary: "show the cache policy FastGen picks for each layer and KV head",
    flags: PROFILE_FLAGS,
    run: (a, io) => profileCommand(a, io, process.stdout.isTTY === true),
  },
  logits: { summary: "write float32 logits of a token sequence, full or compressed cache", flags: LOGITS_FLAGS, run: logitsCommand },
  eval: {
    summary: "FastGen vs. the baselines on a prompt set: metrics, pictures, report",
    flags: EVAL_FLAGS,
    run: (a, io) => interruptible("eval", io.warn, () => evalCommand(a, io, process.stderr)),
  },
  "sample-prompts": {
    summary: "write a prompt set sampled from the model (seeded, chosen lengths)",
    flags: SAMPLE_PROMPTS_FLAGS,
    run: samplePromptsCommand,
  },
  tokenize: {
    summary: "print a text's token ids under the model's tokenizer (--json for an object)",
    flags: TOKENIZE_FLAGS,
    run: tokenizeCommand,
  },
  synth: { summary: "write a GGUF with seeded random weights at a named shape (for benchmarks)", flags: SYNTH_FLAGS, run: synthCommand },
};

function usage(): string {
  const names = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return (
    "fastgen: FastGen adaptive KV-cache compression (Ge et al., ICLR 2024)\n\n" +
    "usage: fastgen <command> [flags]   (fastgen <command> --help for its flags)\n\n" +
    `${names.join("\n")}\n`
  );
}

export async function main(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.warn(`fastgen: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    const task = name === "eval" && rest.some((a) => a === "--task" || a.startsWith("--task="));
    io.out(helpText(name, command.summary, task ? TASK_FLAGS : command.flags));
    return 0;
  }
  const refused = missingPermissionsLine(name);
  if (refused !== undefined) {
    io.warn(refused);
    return 2;
  }
  try {
    await command.run(rest, io);
    return 0;
  } catch (e) {
    const denied = deniedByDeno(e);
    if (denied !== undefined) {
      io.warn(missingPermissionMessage(name, denied));
      return 2;
    }
    if (e instanceof InputError) {
      // Messages can quote files and flags: escape control characters (line breaks between problems stay).
      io.warn(
        `fastgen ${name}: ${e.message
          .split("\n")
          .map((line) => printable(line, 2000))
          .join("\n")}`,
      );
      return 2;
    }
    throw e;
  }
}

if (isMainModule(import.meta)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
