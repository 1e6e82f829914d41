/** Class names joined with spaces, falsy ones left out. */
export function cx(...names: (string | undefined | false | null)[]): string {
  return names.filter(Boolean).join(' ');
}
