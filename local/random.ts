/**
 * mulberry32: a small, fast, well-distributed, seedable 32-bit PRNG. Shared by the benchmark's
 * registry (a reproducible mix) and the fault proxy (reproducible faults).
 */
/* eslint-disable no-bitwise -- a 32-bit PRNG is bit arithmetic */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
/* eslint-enable no-bitwise */
