/** node:module for the page: there are no native addons (kernels/gpu/modes.ts asks for `gl`, headlessgl's). */
export function createRequire(): (id: string) => never {
  return (id: string) => {
    throw new Error(`${id}: native modules do not load in a browser`);
  };
}

export default { createRequire };
