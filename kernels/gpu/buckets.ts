/**
 * Sizes that vary at run time (prompt rows, KV view lengths) are rounded up to a power of two and
 * the data padded (trap 3): a kernel's output and argument sizes are then fixed, it compiles once
 * per bucket, and the number of compiled kernels grows only with log2 of the size.
 */

/** The smallest power of two that is ≥ n and ≥ min. */
export function bucket(n: number, min = 1): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`bucket: ${n} is not a size`);
  let b = 1;
  while (b < n || b < min) b *= 2;
  return b;
}
