/**
 * Large text values (section content, patches, snapshots) that the Azure stores keep apart from their documents are
 * written once under a random name and never changed, so a copy read once stays right: this keeps recent ones, up to
 * a total size, so that a session's next push does not fetch its large sections again.
 */
export class PayloadCache {
  private readonly values = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();
  private size = 0;

  /** `maxChars`: UTF-16 code units kept in all. Default 32 Mi (about 64 MiB). */
  constructor(private readonly maxChars = 32 * 1024 * 1024) {}

  get(ref: string, load: () => Promise<string>): Promise<string> {
    const hit = this.values.get(ref);
    if (hit !== undefined) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.values.delete(ref);
      this.values.set(ref, hit);
      return Promise.resolve(hit);
    }
    let loading = this.pending.get(ref);
    if (!loading) {
      loading = load()
        .then((value) => {
          this.set(ref, value);
          return value;
        })
        .finally(() => this.pending.delete(ref));
      this.pending.set(ref, loading);
    }
    return loading;
  }

  set(ref: string, value: string): void {
    if (value.length > this.maxChars || this.values.has(ref)) return;
    this.values.set(ref, value);
    this.size += value.length;
    for (const [key, old] of this.values) {
      if (this.size <= this.maxChars) break;
      this.values.delete(key);
      this.size -= old.length;
    }
  }
}
