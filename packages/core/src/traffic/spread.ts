/**
 * Splits an integer amount over the fixed-size buckets that the span [start, end] overlaps, in
 * proportion to the overlap, so that the parts are integers and add up to the amount exactly
 * (each part is the difference of two rounded cumulative shares). A span of zero length puts
 * everything in the bucket that holds it. Calls `add(bucketStart, part)` for each part.
 */
export function spreadOverBuckets(
  start: number,
  end: number,
  bucketMs: number,
  amounts: readonly number[],
  add: (bucketStart: number, parts: readonly number[]) => void,
): void {
  const first = Math.floor(start / bucketMs) * bucketMs;
  const last = Math.floor(end / bucketMs) * bucketMs;
  if (end <= start || first === last) {
    add(first, amounts);
    return;
  }
  const span = end - start;
  const parts = new Array<number>(amounts.length);
  const given = new Array<number>(amounts.length).fill(0);
  for (let bucket = first; bucket <= last; bucket += bucketMs) {
    const covered = Math.min(end, bucket + bucketMs) - start;
    for (let i = 0; i < amounts.length; i++) {
      const upTo = bucket === last ? amounts[i]! : Math.round((amounts[i]! * covered) / span);
      parts[i] = upTo - given[i]!;
      given[i] = upTo;
    }
    add(bucket, parts);
  }
}
