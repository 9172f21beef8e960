/**
 * Walks the fixed-size buckets that the span [start, end] overlaps and gives each its share of
 * the span as a cumulative range [from, to) of [0, 1]: the first bucket starts at 0, the last
 * ends at exactly 1. A caller splits an integer amount with `part(amount, from, to)`, so the
 * parts are integers that add up to the amount exactly (the rounded cumulative shares
 * telescope). A span of zero length, or inside one bucket, is one bucket with [0, 1].
 * Allocates nothing: it runs for every minute of every flow.
 */
export function spreadOverBuckets(
  start: number,
  end: number,
  bucketMs: number,
  visit: (bucketStart: number, from: number, to: number) => void,
): void {
  const first = Math.floor(start / bucketMs) * bucketMs;
  const last = Math.floor(end / bucketMs) * bucketMs;
  if (end <= start || first === last) {
    visit(first, 0, 1);
    return;
  }
  const span = end - start;
  let from = 0;
  for (let bucket = first; bucket < last; bucket += bucketMs) {
    const to = (bucket + bucketMs - start) / span;
    visit(bucket, from, to);
    from = to;
  }
  visit(last, from, 1);
}

/** An integer amount's part for the cumulative share [from, to). */
export function part(amount: number, from: number, to: number): number {
  return Math.round(amount * to) - Math.round(amount * from);
}
