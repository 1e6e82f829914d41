/**
 * `scratchpad://<pad>` and `scratchpad://<pad>/<section>`. Each name is percent-encoded on its own, so a '/' inside a
 * name never reads as the separator, and URIs are parsed by hand rather than with `URL`: `URL` treats the pad as a
 * host, which it may lower-case or reject, and names are case-sensitive and may hold any printable character.
 */
export const URI_SCHEME = 'scratchpad://';

export type ResourceAddress = { readonly pad: string; readonly section?: string };

export function padUri(pad: string): string {
  return URI_SCHEME + encodeSegment(pad);
}

export function sectionUri(pad: string, section: string): string {
  return `${URI_SCHEME}${encodeSegment(pad)}/${encodeSegment(section)}`;
}

/** The pad and section a URI names, or undefined when it is not one of this server's URIs. */
export function parseUri(uri: string): ResourceAddress | undefined {
  if (!uri.startsWith(URI_SCHEME)) return undefined;
  const parts = uri.slice(URI_SCHEME.length).split('/');
  if (parts.length > 2 || parts.some((part) => part === '')) return undefined;
  const names: string[] = [];
  for (const part of parts) {
    try {
      names.push(decodeURIComponent(part));
    } catch {
      return undefined; // a malformed escape such as '%E0%A4%A'
    }
  }
  const [pad, section] = names as [string, string | undefined];
  return section === undefined ? { pad } : { pad, section };
}

function encodeSegment(name: string): string {
  // '.' and '..' are left alone by encodeURIComponent, but a client that normalises URIs would resolve them as paths.
  return /^\.+$/.test(name) ? name.replaceAll('.', '%2E') : encodeURIComponent(name);
}
