/** Types of share.mjs (plain JavaScript, shared by the worker threads and the main thread). */
export declare const GEN: number;
export declare const DONE: number;
export declare const READY: number;
export declare const OP: number;
export declare const NJOBS: number;
export declare const FAILED: number;
export declare const JOBS: number;
export declare const JOB_WORDS: number;
export declare const MAX_JOBS: number;
export declare function controlWords(jobSlots: number): number;
export declare const OP_PRODUCTS: number;
export declare const OP_STOP: number;
export declare const OP_ATTEND: number;
export declare const KIND_F32: number;
export declare const KIND_F16: number;
export declare const KIND_Q8: number;
export declare function shareOf(d: number, index: number, threads: number): [number, number];
export declare function runShare(k: object, ctrl: Int32Array, index: number, threads: number): void;
