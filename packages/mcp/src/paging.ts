import { compareNatural } from 'scratchpad-store';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ResourceAddress } from './uri.js';

/** Resources per resources/list page unless `pageSize` says otherwise. */
export const DEFAULT_PAGE_SIZE = 100;

/**
 * resources/list cursors name the last resource of the page they end, not an offset: a pad or section created or
 * deleted between two pages then neither repeats nor skips a resource that existed throughout. The order is the one
 * resources are listed in (pads and sections in `compareNatural` order, a pad before its sections), which is total,
 * so the next page starts right after the named resource even when that resource has gone meanwhile.
 */
export function compareAddresses(a: ResourceAddress, b: ResourceAddress): number {
  const byPad = compareNatural(a.pad, b.pad);
  if (byPad !== 0) return byPad;
  if (a.section === undefined || b.section === undefined) return a.section === b.section ? 0 : a.section === undefined ? -1 : 1;
  return compareNatural(a.section, b.section);
}

/** Opaque to clients (the specification asks them not to parse it): base64url of `["pad"]` or `["pad","section"]`. */
export function encodeCursor(address: ResourceAddress): string {
  const parts = address.section === undefined ? [address.pad] : [address.pad, address.section];
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** The address a cursor of `encodeCursor` names; anything else is the client's error (-32602, as the specification asks). */
export function decodeCursor(cursor: string): ResourceAddress {
  const invalid = () => new McpError(ErrorCode.InvalidParams, 'Invalid cursor: pass the nextCursor of the previous resources/list answer unchanged, or none for the first page.');
  // Buffer's base64url decoder skips characters it does not know: a cursor must survive the round trip unchanged.
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.toString('base64url') !== cursor) throw invalid();
  let parts: unknown;
  try {
    parts = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parts) || parts.length < 1 || parts.length > 2 || !parts.every((p): p is string => typeof p === 'string' && p !== '')) throw invalid();
  const [pad, section] = parts as [string, string | undefined];
  return section === undefined ? { pad } : { pad, section };
}

export function checkPageSize(value: number | undefined): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError('createMcpServer: options.pageSize must be a whole number of at least 1');
  return value;
}
