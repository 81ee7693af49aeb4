import { GPU, type IKernelFunctionThis, type Texture } from "gpu.js";
type C = { n: number };
function dot(this: IKernelFunctionThis<C>, w: Float32Array, x: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < this.constants.n; j++) sum += w[this.thread.x * this.constants.n + j]! * x[j]!;
  return sum;
}
const gpu = new GPU({ mode: (process.argv[2] ?? "cpu") as "cpu" });
const k = gpu.createKernel(dot, { output: [2], constants: { n: 3 }, precision: "single", tactic: "precision" });
const out = k(new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([1, 1, 1]));
console.log(out, (k as unknown as { kernel: { constructor: { mode: string } } }).kernel.constructor.mode);
const t: Texture | undefined = undefined; void t;
