/** The progress display: a bar on a terminal, occasional lines otherwise, with an ETA. */
import { describe, expect, it } from "vitest";
import { formatDuration, Progress } from "../../src/eval/progress.ts";

function clock() {
  let t = 0;
  return { now: () => t, advance: (s: number) => void (t += s) };
}

describe("Progress", () => {
  it("without a terminal prints a line per tenth, with elapsed time and ETA", () => {
    const c = clock();
    const lines: string[] = [];
    const p = new Progress(20, "eval", { line: (s) => lines.push(s) }, c.now);
    for (let i = 0; i < 20; i++) {
      c.advance(2);
      p.tick(1, `p${i}`);
    }
    p.finish();
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe("eval 10% (2/20), 4s elapsed, ETA 36s, p1");
    expect(lines[9]).toBe("eval 100% (20/20), 40s elapsed, p19");
  });

  it("without a terminal also reports every 15 s while a tenth takes longer", () => {
    const c = clock();
    const lines: string[] = [];
    const p = new Progress(1000, "eval", { line: (s) => lines.push(s) }, c.now);
    c.advance(16);
    p.tick();
    c.advance(1);
    p.tick();
    expect(lines).toEqual(["eval 0% (1/1000), 16s elapsed, ETA 4h26m"]);
  });

  it("on a terminal redraws one line with a bar and ends it with a newline", () => {
    const c = clock();
    let out = "";
    const p = new Progress(
      4,
      "eval",
      { tty: { write: (s) => void (out += s), columns: 100 }, line: () => expect.fail("no plain lines on a terminal") },
      c.now,
    );
    c.advance(1);
    p.tick();
    expect(out).toMatch(/^\r\[█{10}░{30}\] 25% ETA 3s \(1\/4, 1s\) eval\x1b\[K$/);
    c.advance(0.01);
    p.tick();
    expect(out.split("\r")).toHaveLength(2); // redraws at most every 0.1 s
    p.finish();
    expect(out.endsWith("\n")).toBe(true);
  });

  it("has no ETA before the first unit", () => {
    expect(new Progress(3, "x", { line: () => {} }).eta()).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [59.4, "59s"],
    [61, "1m01s"],
    [3725, "1h02m"],
    [-1, "?"],
    [Infinity, "?"],
  ])("%s s → %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});
