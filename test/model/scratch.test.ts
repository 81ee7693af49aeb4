import { test } from "vitest";
import { parseGguf } from "../../src/model/gguf.ts";
import { writeGguf } from "../../src/model/gguf-writer.ts";
import { entriesOf, fixture, modelPath, tensorsOf } from "./helpers.ts";
test("x", () => {
const orig = fixture(modelPath);
const f = parseGguf(orig, modelPath);
const out = writeGguf({ metadata: entriesOf(f), tensors: tensorsOf(f) });
console.log(out.length, orig.length, Buffer.compare(Buffer.from(out), Buffer.from(orig)));
for (let i = 0; i < out.length; i++) if (out[i] !== orig[i]) { console.log("first diff", i); break; }
});
