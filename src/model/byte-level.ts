/**
 * GPT-2's byte-level alphabet: every byte 0..255 stands for one printable character, so a BPE
 * vocabulary of strings covers arbitrary bytes. Printable Latin-1 bytes (`!`..`~`, `¡`..`¬`,
 * `®`..`ÿ`) stand for themselves; the other 68 (controls, space, DEL, NBSP, soft hyphen, ...)
 * take U+0100, U+0101, ... in byte order — so a space is `Ġ` (U+0120) and a newline `Ċ` (U+010A).
 */

function printable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** The character each byte stands for. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars: string[] = [];
  let next = 0x100;
  for (let b = 0; b < 256; b++) chars.push(String.fromCodePoint(printable(b) ? b : next++));
  return chars;
})();

const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const utf8 = new TextEncoder();

/** A text's UTF-8 bytes written in the byte-level alphabet (what merges and vocab pieces are made of). */
export function byteLevelEncode(text: string): string {
  let out = "";
  for (const b of utf8.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/**
 * The bytes a vocabulary piece stands for. A character outside the alphabet (a vocabulary that
 * mixes in raw text) stands for its own UTF-8, as llama.cpp's decoder treats it.
 */
export function byteLevelDecode(piece: string): Uint8Array {
  const bytes: number[] = [];
  for (const ch of piece) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) bytes.push(b);
    else bytes.push(...utf8.encode(ch));
  }
  return Uint8Array.from(bytes);
}
