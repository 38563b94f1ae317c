import type { Rng } from './rng';

/** A search space: how to sample, mutate and cross architectures, and which table keys one costs. */
export interface SearchSpace<A> {
  id: string;
  description: string;
  sample(rng: Rng): A;
  mutate(a: A, rng: Rng, prob: number): A;
  crossover(a: A, b: A, rng: Rng): A;
  /** Latency-table keys this architecture's blocks cost, and the resolution whose table they come from. */
  keys(a: A): { resolution?: number; keys: string[] };
  /** A stable text form (for de-duplication and display). */
  id_(a: A): string;
  /** JSON form, for the CLI and the webview. */
  toJson(a: A): unknown;
  fromJson(v: unknown): A;
  /** All table keys the space can produce (for building a table by measurement). */
  allKeys(): Array<{ resolution?: number; key: string }>;
}
