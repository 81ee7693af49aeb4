/**
 * `fastgen tokenize`, `synth --tokenizer-json`, `generate --chat` and `FastGen.chat`, on small
 * `synth --like` files: the command prints what the library's tokenizer gives, a real
 * tokenizer.json comes through the GGUF whole, and a chat prompt is the file's template rendered
 * and tokenized with its control pieces.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openFastGen } from "../src/index.ts";
import { synthLike } from "../src/model/families.ts";
import { loadModel } from "../src/model/load.ts";
import { encodeChat, renderChat } from "../src/tokenizer/chat.ts";
import { Tokenizer } from "../src/tokenizer/tokenizer.ts";
import { hfTokenizerDir, hfVocab } from "./support/hf-tokenizers.ts";
import { runCli } from "./support/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "fastgen-chat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const qwen = join(dir, "qwen.gguf");
writeFileSync(qwen, synthLike("qwen2.5-0.5b", { layers: 1, vocabSize: 2048, type: "F32", seed: 3, narrow: true }));
const tokenizer = new Tokenizer(loadModel(qwen).vocab!);

describe("fastgen tokenize", () => {
  it("prints the tokenizer's ids, as JSON or one line, with BOS as the file says", async () => {
    const text = "Hello <|im_start|> world, 123!";
    const json = await runCli("tokenize", "--model", qwen, "--text", text, "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ tokens: tokenizer.encode(text) });
    const special = await runCli("tokenize", "--model", qwen, "--text", text, "--special");
    expect(special.stdout.trim().split(" ").map(Number)).toEqual(tokenizer.encode(text, { special: true }));
    expect(tokenizer.encode(text, { special: true })).toContain(tokenizer.idOf("<|im_start|>"));
    expect(tokenizer.encode(text)).not.toContain(tokenizer.idOf("<|im_start|>"));
  });
  it("reads --file; --no-bos on a SentencePiece model drops BOS; --pieces names each piece", async () => {
    const tiny = join(dir, "tiny.gguf");
    writeFileSync(tiny, synthLike("tinyllama-1.1b", { layers: 1, vocabSize: 2048, type: "F32", seed: 3, narrow: true }));
    const file = join(dir, "text.txt");
    writeFileSync(file, "The café\r\nis open.");
    const withBos = JSON.parse((await runCli("tokenize", "--model", tiny, "--file", file, "--json")).stdout).tokens;
    const noBos = JSON.parse((await runCli("tokenize", "--model", tiny, "--file", file, "--json", "--no-bos")).stdout).tokens;
    expect(withBos[0]).toBe(1);
    expect(noBos).toEqual(withBos.slice(1));
    const pieces = (await runCli("tokenize", "--model", tiny, "--text", "The", "--no-bos", "--pieces")).stdout;
    const vocab = loadModel(tiny).vocab!;
    const ids = new Tokenizer(vocab).encode("The", { bos: false });
    expect(ids.length).toBeGreaterThan(0);
    expect(pieces).toBe(ids.map((t) => `${t}\t${JSON.stringify(vocab.pieces[t])}\n`).join(""));
  });
  it.each([
    [["--text", "a", "--file", "x"], /give exactly one of --text and --file/],
    [[], /give exactly one of --text and --file/],
    [["--file", "/nonexistent/t.txt"], /--file: cannot read \/nonexistent\/t.txt/],
  ])("refuses %j on one line", async (args, message) => {
    const r = await runCli("tokenize", "--model", qwen, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
  it("refuses a file that is not UTF-8, naming the offset", async () => {
    const bad = join(dir, "bad.txt");
    writeFileSync(bad, Uint8Array.from([0x61, 0x62, 0xc3, 0x28]));
    const r = await runCli("tokenize", "--model", qwen, "--file", bad);
    expect(r.stderr).toMatch(/is not UTF-8 text \(bad byte at offset 2\)/);
  });
});

describe("synth --tokenizer-json", () => {
  it("embeds the real Qwen3 tokenizer: pieces, merges, specials and chat template come back from the GGUF", async () => {
    const out = join(dir, "qwen3-real.gguf");
    const json = join(hfTokenizerDir("tokenizer-qwen3"), "tokenizer.json");
    const r = await runCli("synth", "--like", "qwen3-0.6b", "--layers", "1", "--type", "Q4_0", "--tokenizer-json", json, "--out", out);
    expect(r.code).toBe(0);
    const read = loadModel(out).vocab!;
    const want = hfVocab("tokenizer-qwen3", 151936);
    expect(read.pieces).toEqual(want.pieces);
    expect(read.merges).toEqual(want.merges);
    expect(read.pre).toBe("qwen2");
    expect(read.chatTemplate).toBe(want.chatTemplate);
    expect(read.pieces[read.eosId]).toBe("<|im_end|>");
    expect(read.addBos).toBe(false);
    rmSync(out);
  }, 60_000);
  it.each([
    ["package.json", /not a tokenizer.json fastgen-ts reads: model/],
    ["/nonexistent/tokenizer.json", /--tokenizer-json: cannot read \/nonexistent\/tokenizer.json as JSON/],
  ])("refuses %s on one line and writes nothing", async (json, message) => {
    const out = join(dir, "never.gguf");
    const r = await runCli("synth", "--like", "qwen3-0.6b", "--tokenizer-json", json, "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(() => readFileSync(out)).toThrow();
  });
});

describe("chat", () => {
  const messages = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "Hi there" },
  ];
  // The same chat as `messages`, on the command line.
  const CHAT_ARGS = ["--chat", "--system", "Be brief.", "--prompt", "Hi there", "--max-tokens", "4", "--json"];
  it("renders the file's template for the messages and the assistant's turn; control pieces are single tokens", () => {
    const text = renderChat(tokenizer, messages);
    expect(text).toBe("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
    const tokens = encodeChat(tokenizer, messages);
    expect(tokens.filter((t) => t === tokenizer.idOf("<|im_start|>"))).toHaveLength(3);
    expect(tokenizer.decode(tokens)).toBe(text.replaceAll(/<\|im_(start|end)\|>/g, ""));
  });
  it("adds BOS once where the template writes it (Llama 3)", () => {
    const llama = new Tokenizer(hfVocab("tokenizer-llama3"));
    const tokens = encodeChat(llama, messages);
    expect(tokens.filter((t) => t === llama.vocab.bosId)).toHaveLength(1);
    expect(tokens[0]).toBe(llama.vocab.bosId);
  });
  it("generate --chat prompts with the rendered template and prints the reply only", async () => {
    const r = await runCli("generate", "--model", qwen, ...CHAT_ARGS);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.promptTokens).toEqual(encodeChat(tokenizer, messages));
    expect(out.text).toBe(tokenizer.decode(out.tokens));
    expect(out.chat.prompt).toBe(renderChat(tokenizer, messages));
  });
  it("FastGen.chat gives the same tokens as generate --chat", async () => {
    const fg = await openFastGen({ model: qwen, backend: "reference" });
    const tokens: number[] = [];
    for await (const piece of fg.chat(messages, { maxTokens: 4 })) tokens.push(piece.token);
    const r = await runCli("generate", "--model", qwen, "--backend", "reference", ...CHAT_ARGS);
    expect(tokens).toEqual(JSON.parse(r.stdout).tokens);
  });
  it.each([
    [["--system", "x"], /--system goes with --chat/],
    [["--chat", "--model", "TINY"], /no chat template/],
  ])("refuses %j on one line", async (args, message) => {
    const tinyPath = join(dir, "no-template.gguf");
    const v = { ...tokenizer.vocab };
    delete (v as { chatTemplate?: string }).chatTemplate;
    writeFileSync(tinyPath, synthLike("qwen2.5-0.5b", { layers: 1, type: "F32", seed: 3, narrow: true, vocab: v }));
    const argv = args.map((a) => (a === "TINY" ? tinyPath : a));
    const r = await runCli("generate", ...(argv.includes("--model") ? [] : ["--model", qwen]), ...argv, "--max-tokens", "2");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
  it("an empty prompt starts from BOS alone, also where the vocabulary adds none (Qwen)", async () => {
    expect(tokenizer.encode("")).toEqual([]);
    const r = await runCli("generate", "--model", qwen, "--prompt", "", "--max-tokens", "2", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).promptTokens).toEqual([tokenizer.vocab.bosId]);
  });
  it("stops at the end-of-turn piece", () => {
    expect(tokenizer.stopTokens).toContain(tokenizer.idOf("<|im_end|>"));
    expect(tokenizer.stopTokens).toContain(tokenizer.idOf("<|endoftext|>"));
  });
});
