// A queue of input chunks read by binary parsers (undici's `consume(n)` idea): a record that
// sits inside one chunk is returned as a view into it; only a record that straddles two or more
// chunks is copied, once, into a buffer of exactly its size.

const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  /** Bytes held (from `head` on). */
  length = 0;
  /** Absolute input offset of the next unread byte. */
  offset = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /**
   * Make the next `n` bytes contiguous and return the buffer holding them; they start at
   * `this.start`. Returns undefined when fewer than `n` bytes are held. Does not consume.
   */
  start = 0;
  peek(n: number): Buffer | undefined {
    if (n > this.length) return undefined;
    const first = this.chunks[0];
    if (first === undefined) {
      this.start = 0;
      return EMPTY;
    }
    if (first.length - this.head >= n) {
      this.start = this.head;
      return first;
    }
    // Straddles chunks: copy exactly the n bytes, keep the rest of the last chunk touched.
    const merged = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length - this.head, n - filled);
      c.copy(merged, filled, this.head, this.head + take);
      filled += take;
      if (this.head + take === c.length) {
        this.chunks.shift();
        this.head = 0;
      } else {
        this.head += take;
      }
    }
    // Put the merged record in front; the queue's contents are unchanged.
    if (this.head !== 0) {
      const c = this.chunks[0]!;
      this.chunks[0] = c.subarray(this.head);
      this.head = 0;
    }
    this.chunks.unshift(merged);
    this.start = 0;
    return merged;
  }

  /** Drop `n` bytes (n <= length). */
  consume(n: number): void {
    this.length -= n;
    this.offset += n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const left = c.length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /**
   * Copy what is held into one buffer of our own, so no view into the pushed chunks remains (the
   * input's buffers are lent: the next read overwrites them). Held bytes are at most one record.
   */
  detach(): void {
    if (this.length === 0) {
      this.chunks.length = 0;
      this.head = 0;
      return;
    }
    const own = Buffer.allocUnsafe(this.length);
    let filled = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      const from = i === 0 ? this.head : 0;
      c.copy(own, filled, from);
      filled += c.length - from;
    }
    this.chunks = [own];
    this.head = 0;
  }

  /** Bytes 0..n of what is held, for sniffing (copies when it straddles). */
  headBytes(n: number): Buffer {
    const m = Math.min(n, this.length);
    const b = this.peek(m);
    return b === undefined ? EMPTY : b.subarray(this.start, this.start + m);
  }
}
