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
  /**
   * One gene one step slower (dir +1: bigger kernel, expansion, depth or resolution) or faster (-1),
   * chosen at random among the genes that can move; undefined when none can. Lets a search repair a
   * candidate into its latency budget and fill the budget it leaves unused.
   */
  step?(a: A, rng: Rng, dir: 1 | -1): A | undefined;
  /** The one-hot features of an architecture (indices set to 1, -1 pads) and how many there are: a surrogate's input. */
  features?: { count: number; of(a: A): Int32Array };
  /** The space restricted to the input resolutions the latency tables cover (spaces with a resolution gene). */
  withResolutions?(resolutions: number[]): SearchSpace<A>;
  /** All table keys the space can produce (for building a table by measurement). */
  allKeys(): Array<{ resolution?: number; key: string }>;
}
