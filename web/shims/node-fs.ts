/**
 * node:fs for the page's Web Worker: only what the backends' modules call. `readFileSync` of a URL
 * (the wasm kernels, kernels/wasm/runtime.ts) is a synchronous fetch, which workers may do;
 * `existsSync` says no to every path (there is no file system to search).
 */
export function readFileSync(path: string | URL): Uint8Array {
  const xhr = new XMLHttpRequest();
  xhr.open("GET", String(path), false);
  xhr.responseType = "arraybuffer";
  xhr.send();
  if (xhr.status !== 200) throw new Error(`cannot fetch ${String(path)}: HTTP ${xhr.status}`);
  return new Uint8Array(xhr.response as ArrayBuffer);
}

export function existsSync(): boolean {
  return false;
}

export default { readFileSync, existsSync };
