/**
 * The greedy merge both BPE kinds share: repeatedly merge the adjacent pair with the best priority
 * (lowest number; leftmost on ties) until no adjacent pair has one. A binary heap of candidate
 * pairs over a linked list of symbols, as llama.cpp does it, so a long word (a run of 100K
 * letters, a SentencePiece prompt that is one long sequence) costs n log n, not n².
 * A heap entry is stale once either of its symbols has changed; it is then skipped.
 */

interface Candidate {
  readonly priority: number;
  readonly left: number;
  readonly right: number;
  /** The pair's text when the candidate was made (to recognise a stale entry). */
  readonly text: string;
}

const before = (a: Candidate, b: Candidate) => a.priority < b.priority || (a.priority === b.priority && a.left < b.left);

class Heap {
  private readonly items: Candidate[] = [];
  get size(): number {
    return this.items.length;
  }
  push(c: Candidate): void {
    const a = this.items;
    a.push(c);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Candidate {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * @param priorityOf the priority of merging `a` and `b` (lower merges first), or undefined where
 *   the pair does not merge.
 */
export function greedyMerge(symbols: readonly string[], priorityOf: (a: string, b: string) => number | undefined): string[] {
  const text = [...symbols];
  const next = text.map((_, i) => (i + 1 < text.length ? i + 1 : -1));
  const prev = text.map((_, i) => i - 1);
  const heap = new Heap();
  const consider = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const priority = priorityOf(text[left]!, text[right]!);
    if (priority !== undefined) heap.push({ priority, left, right, text: text[left]! + text[right]! });
  };
  for (let i = 0; i + 1 < text.length; i++) consider(i, i + 1);
  while (heap.size > 0) {
    const c = heap.pop();
    // Stale: the right symbol was merged away, or either side has grown since.
    if (next[c.left] !== c.right || text[c.left]! + text[c.right]! !== c.text) continue;
    text[c.left] = c.text;
    text[c.right] = "";
    next[c.left] = next[c.right]!;
    if (next[c.right]! >= 0) prev[next[c.right]!] = c.left;
    next[c.right] = -1;
    consider(prev[c.left]!, c.left);
    consider(c.left, next[c.left]!);
  }
  const out: string[] = [];
  for (let i = text.length > 0 ? 0 : -1; i >= 0; i = next[i]!) out.push(text[i]!);
  return out;
}
