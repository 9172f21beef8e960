/** A binary min-heap of (time, frame): activities emit packets out of order, captures need them in order. */
export class PacketHeap {
  private readonly times: number[] = [];
  private readonly frames: Uint8Array[] = [];
  /** Wire lengths of frames cut to a snap length (undefined: the frame's own length). */
  private readonly wireLengths: (number | undefined)[] = [];
  /** Insertion counter: equal times keep their emission order. */
  private readonly order: number[] = [];
  private counter = 0;

  get size(): number {
    return this.times.length;
  }

  push(time: number, frame: Uint8Array, wireLength?: number): void {
    let i = this.times.length;
    this.times.push(time);
    this.frames.push(frame);
    this.wireLengths.push(wireLength);
    this.order.push(this.counter++);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Writes, in time order, every packet earlier than `limit`. */
  drainBefore(limit: number, sink: { write(timestampUs: number, frame: Uint8Array, wireLength?: number): void }): void {
    while (this.times.length > 0 && this.times[0]! < limit) {
      const wireLength = this.wireLengths[0];
      if (wireLength === undefined) sink.write(Math.round(this.times[0]!), this.frames[0]!);
      else sink.write(Math.round(this.times[0]!), this.frames[0]!, wireLength);
      this.pop();
    }
  }

  private pop(): void {
    const last = this.times.length - 1;
    this.swap(0, last);
    this.times.pop();
    this.frames.pop();
    this.wireLengths.pop();
    this.order.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.times.length && this.less(left, smallest)) smallest = left;
      if (right < this.times.length && this.less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.order[a]! < this.order[b]!);
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b]!, this.times[a]!];
    [this.frames[a], this.frames[b]] = [this.frames[b]!, this.frames[a]!];
    [this.order[a], this.order[b]] = [this.order[b]!, this.order[a]!];
    [this.wireLengths[a], this.wireLengths[b]] = [this.wireLengths[b], this.wireLengths[a]];
  }
}
