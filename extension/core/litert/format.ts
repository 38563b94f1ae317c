/**
 * Numbers and statistics as TFLite's benchmark_model prints them (C++ iostream defaults).
 *
 * Format facts:
 * - `operator<<` on a double/float with default flags is `%g` with precision 6: `0.5`, `1`, `150`, `2750.5`,
 *   `1.2e+06`, `0.229032` (C++ standard, [facet.num.put.virtuals]).
 * - Stat<int64_t>::OutputToStream (tensorflow/core/util/stats_calculator.h, the version benchmark_model.cc uses):
 *   `count=0` when empty; `count=N curr=X` plus `(all same)` glued on when N > 1 and min == max; otherwise
 *   `count=N first=F curr=C min=A max=B avg=V std=S` with avg a double and std an int64 (truncated).
 */

/** A double as `std::cout << x` prints it (%g, precision 6). */
export function cppNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const [mant, expText] = x.toExponential(5).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** benchmark_model's run statistics line for run times in whole microseconds. */
export function statLine(us: readonly number[]): string {
  if (!us.length) return 'count=0';
  const n = us.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (const v of us) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sq += v * v;
  }
  const curr = us[n - 1];
  if (min === max) return `count=${n} curr=${curr}${n > 1 ? '(all same)' : ''}`;
  const avg = sum / n;
  const std = Math.trunc(Math.sqrt(Math.max(0, sq / n - avg * avg)));
  return `count=${n} first=${us[0]} curr=${curr} min=${min} max=${max} avg=${cppNumber(avg)} std=${std}`;
}

export function mean(us: readonly number[]): number {
  return us.length ? us.reduce((a, b) => a + b, 0) / us.length : NaN;
}
