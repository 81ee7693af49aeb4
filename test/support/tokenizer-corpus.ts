/**
 * Texts that tokenizers disagree on when one of them is wrong: prose, code, numbers, whitespace
 * runs, CRLF, accents (precomposed: Qwen's tokenizer.json normalizes to NFC, llama.cpp does not),
 * CJK, Cyrillic, Arabic, emoji with joiners, text that looks like special tokens; then seeded
 * random strings drawn from all of those.
 */
import { mulberry32 } from "../../src/random.ts";

export const HANDWRITTEN: readonly string[] = [
  "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
  "Hello world! It's a test, isn't it? I'M sure THEY'LL say we'd've known. You're right; I've been there.",
  'def square(x: int) -> int:\n    """Return x squared."""\n    return x ** 2  # fast\n\n\tprint(square(12345))\n',
  "const f = (a, b) => { return a?.b ?? [1, 2, 3].map((x) => x * 2); }; // arrow\nif (x != y && z >= 0) {}",
  "<div class=\"main\"><a href='https://example.com/path?q=1&r=2#frag'>link</a></div>",
  "3.14159 1,000,000 2024-12-07 0x1F 1e-9 -42 +7 12345678901234567890 ½ ² ①",
  "a  b   c    d     e\n\n\n   f\t\tg \t h",
  "   leading spaces and trailing   ",
  "CRLF line\r\nnext line\r\n\r\nafter a blank\rlone CR\n\rmixed",
  "café naïve Ångström résumé Größe façade Dvořák São Paulo",
  "中文测试，这是一个句子。日本語のテキストです。한국어 문장입니다.",
  "Привет, мир! Съешь же ещё этих мягких французских булок.",
  "مرحبا بالعالم. هذه جملة عربية قصيرة.",
  "👨‍👩‍👧‍👦 family 🏳️‍🌈 flag 👍🏽 thumbs 🇩🇪🇯🇵 flags ❤️ heart",
  "<|im_start|>user\nhi<|im_end|> <|eot_id|> <|begin_of_text|> <think>hm</think> <s> </s> <unk> <|endoftext|>",
  "<|im_start <|not_a_token|> <| |> <<|im_end|>> </s></s>",
  "Ġ Ċ ĉ ▁ (byte-level and SentencePiece markers written as text)",
  "tabs\tand\u00a0no-break\u2003em space\u3000ideographic",
  "!!!??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}",
  "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'Ve 'M 'LL 'D",
  "",
  " ",
  "\n",
  "a",
];

const POOLS = [
  "abcdefghijklmnopqrstuvwxyz",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  "0123456789",
  "      \t\n\r",
  ".,;:!?'\"-_()[]{}<>/\\|@#$%^&*+=~`",
  "éàüöñçøåßÆŒ",
  "中文字日本語한국어",
  "абвгдеёжзий",
  "ابتثجحخدذرز",
];
const EMOJI = ["👍", "👨‍👩‍👧", "🏳️‍🌈", "❤️", "🇫🇷"];
const SPECIALS = ["<|im_start|>", "<|im_end|>", "<|eot_id|>", "<think>", "</s>", "<s>", "<|endoftext|>"];

/** `n` seeded random strings mixing every pool (runs of one pool, so words and numbers form). */
export function randomTexts(n: number, seed = 7): string[] {
  const random = mulberry32(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(random() * a.length)]!;
  return Array.from({ length: n }, () => {
    let s = "";
    const runs = 1 + Math.floor(random() * 12);
    for (let r = 0; r < runs; r++) {
      const kind = random();
      if (kind < 0.06) s += pick(EMOJI);
      else if (kind < 0.1) s += pick(SPECIALS);
      else {
        const pool = Array.from(pick(POOLS));
        const len = 1 + Math.floor(random() * 8);
        for (let i = 0; i < len; i++) s += pick(pool);
      }
    }
    return s;
  });
}

export const CORPUS: readonly string[] = [...HANDWRITTEN, ...randomTexts(120)];
