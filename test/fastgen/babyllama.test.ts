/** BabyLlama (character vocabulary): its token classes, and FastGen and budgeted end to end on it. */
import { describe, expect, it } from "vitest";
import { createBackend } from "../../src/create-backend.ts";
import { compressionSettingsSchema } from "../../src/fastgen/settings.ts";
import { teacherForce } from "../../src/fastgen/pipeline.ts";
import { computeTokenClasses, idsOf } from "../../src/fastgen/token-classes.ts";
import { argmax } from "../../src/generation/sampler.ts";
import { loadModel } from "../../src/model/load.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { babyLlamaPath } from "../support/shared.ts";

const model = loadModel(babyLlamaPath);
const vocab = model.vocab!;
const classes = computeTokenClasses(vocab);

describe("BabyLlama token classes (docs/algorithm.md §1)", () => {
  it("special = <s> and </s>; punctuation = the 26 characters in Unicode P*; the space ▁ is not punctuation", () => {
    expect(idsOf(classes.special)).toEqual([1, 2]);
    expect(
      idsOf(classes.punct)
        .map((i) => vocab.pieces[i])
        .join(""),
    ).toBe(".,\"'!?-“”:’;–—‘…)(/*&\\%[]");
    expect(classes.punct[vocab.pieces.indexOf("▁")]).toBe(0);
    // Letters, digits and symbols outside P* stay ordinary tokens.
    for (const ch of ["e", "T", "3", "$", "+", "<", "|", "~"]) expect(classes.punct[vocab.pieces.indexOf(ch)], ch).toBe(0);
  });
});

describe("compression on BabyLlama", () => {
  it("budgeted keeps C of the cache pruned and its teacher-forced logits stay close to the full cache's", async () => {
    const backend = await createBackend(model, { backend: "reference", gpuMode: "auto" });
    const tokens = new Tokenizer(vocab).encode('Tom said, "Look at the big red ball!" Lily ran to see it. They played all day in the sun.');
    const n = 40;
    const full = teacherForce(backend, classes, compressionSettingsSchema.parse({ policy: "full" }), tokens, n).rows;
    for (const compression of [0.3, 0.6]) {
      const { rows, session } = teacherForce(
        backend,
        classes,
        compressionSettingsSchema.parse({ policy: "budgeted", compression }),
        tokens,
        n,
      );
      const s = session.summary();
      expect(s.afterPrefill).toBeCloseTo(compression, 2);
      expect(Math.abs(s.mean - compression)).toBeLessThan(0.03);
      // Same greedy choice on most compared rows.
      let agree = 0;
      for (let i = n; i < tokens.length; i++) agree += argmax(rows[i]!) === argmax(full[i]!) ? 1 : 0;
      expect(agree / (tokens.length - n)).toBeGreaterThan(0.8);
    }
    backend.dispose();
  });
});
