/** A FIFO of bytes that avoids re-copying a growing buffer on every append. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.length += data.length;
  }

  /** The first `n` bytes without consuming them (n <= length). */
  peek(n: number): Buffer {
    if (n > this.length) throw new RangeError(`peek(${n}) beyond ${this.length}`);
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged.subarray(0, n);
  }

  take(n: number): Buffer {
    const out = Buffer.from(this.peek(n));
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    let left = n;
    while (left > 0) {
      const head = this.chunks[0];
      if (head.length <= left) {
        this.chunks.shift();
        left -= head.length;
      } else {
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.length -= n;
  }
}
