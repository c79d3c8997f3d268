// The tags a file has named so far, in constant memory per tag: a 64-bit hash of each tag's key
// (two FNV-1a variants) and the line it was on, in typed arrays, not a Map of strings — a 1M-row
// file holds 16 MB here, not hundreds. Two different tags share a hash with odds of about
// n² / 2⁶⁵ (3 in 100 million for a million rows); such a pair would be reported as a duplicate.

export class TagSet {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private lines = new Int32Array(1024);
  private size = 0;

  private static hash(text: string): [number, number] {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    return [a >>> 0, b >>> 0];
  }

  /** The line `key` was first seen on, or records it on `line` (≥ 1) and returns undefined. */
  seen(key: string, line: number): number | undefined {
    if ((this.size + 1) * 2 > this.lines.length) this.grow();
    const [h, l] = TagSet.hash(key);
    const mask = this.lines.length - 1;
    for (let i = (h ^ l) & mask; ; i = (i + 1) & mask) {
      if (this.lines[i] === 0) {
        this.hi[i] = h;
        this.lo[i] = l;
        this.lines[i] = line;
        this.size++;
        return undefined;
      }
      if (this.hi[i] === h && this.lo[i] === l) return this.lines[i];
    }
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    this.hi = new Uint32Array(lines.length * 2);
    this.lo = new Uint32Array(lines.length * 2);
    this.lines = new Int32Array(lines.length * 2);
    const mask = this.lines.length - 1;
    for (let j = 0; j < lines.length; j++) {
      if (lines[j] === 0) continue;
      let i = (hi[j]! ^ lo[j]!) & mask;
      while (this.lines[i] !== 0) i = (i + 1) & mask;
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.lines[i] = lines[j]!;
    }
  }
}
