/**
 * The last version of each section this agent has seen (by reading, writing, editing or asking for changes), so that
 * `scratchpad_changes` can report only what happened since. Per tools instance, in memory: a fresh agent has seen
 * nothing, and every section counts from version 0.
 */
export class SeenVersions {
  // Keyed by a JSON pair so that any pad or section name, `__proto__` included, is just a string in a Map.
  readonly #versions = new Map<string, number>();

  get(pad: string, section: string): number {
    return this.#versions.get(key(pad, section)) ?? 0;
  }

  /** Never moves backwards: an older answer arriving late must not make the agent see changes twice. */
  see(pad: string, section: string, version: number): void {
    const k = key(pad, section);
    if (version > (this.#versions.get(k) ?? 0)) this.#versions.set(k, version);
  }

  sections(): Array<[pad: string, section: string]> {
    return [...this.#versions.keys()].map((k) => JSON.parse(k) as [string, string]);
  }
}

function key(pad: string, section: string): string {
  return JSON.stringify([pad, section]);
}
