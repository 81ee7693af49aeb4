/** Types of source-hash.mjs (plain JavaScript so that the build needs only node). */
export declare const assemblyDir: string;
export declare const buildDir: string;
export declare const wasmUrl: URL;
export declare const hashUrl: URL;
export declare const ascFlags: readonly string[];
export declare function sourceHash(): string;
