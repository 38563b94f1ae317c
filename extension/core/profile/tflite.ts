import { benchmarkToProfile, parseBenchmarkModel } from '../runtimes/benchmarkModel';

/** benchmark_model's parser lives in core/runtimes/benchmarkModel.ts; these names stay for the profiler's callers. */
export { BenchmarkModelOutputError as TfliteOutputError, parseBenchmarkModel, benchmarkToProfile } from '../runtimes/benchmarkModel';

/** Parses TFLite's `benchmark_model` output (stdout, or an --op_profiling_output_file in stdout or CSV mode) into profile parts. */
export function parseTfliteBenchmark(text: string): ReturnType<typeof benchmarkToProfile> {
  return benchmarkToProfile(parseBenchmarkModel(text));
}
