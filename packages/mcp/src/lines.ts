import { PassThrough, type Readable, type Writable } from 'node:stream';

/** The longest message line the command takes: the SDK's own stdio buffer limit. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * Stands between stdin and the SDK's stdio transport and hands it whole lines only, each at most `maxBytes`. The
 * SDK's transport closes itself for good when its buffer passes 10 MiB (the command then exited 0, or with --sync
 * went on running without answering). A longer line is dropped here instead, answered with a JSON-RPC error (with
 * the request's id when it can be read from the line's start, so that the host's call fails instead of hanging),
 * and the next line is served as usual.
 */
export function guardLines(stdin: Readable, stdout: Writable, say: (line: string) => void, maxBytes = MAX_MESSAGE_BYTES): Readable {
  const out = new PassThrough();
  let parts: Buffer[] = [];
  let size = 0;
  let head: Buffer | undefined; // the start of an over-long line, for its id
  let dropping = false;

  const refuse = () => {
    const id = requestId(head);
    say(`refused a message over ${maxBytes} bytes${id === null ? '' : ` (request id ${JSON.stringify(id)})`}`);
    const error = { jsonrpc: '2.0', id, error: { code: -32600, message: `Invalid Request: a message may be at most ${maxBytes} bytes; this one was longer and was dropped.` } };
    stdout.write(`${JSON.stringify(error)}\n`);
    head = undefined;
  };

  stdin.on('data', (chunk: Buffer | string) => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (;;) {
      const newline = data.indexOf(0x0a);
      const piece = newline === -1 ? data : data.subarray(0, newline);
      if (dropping) {
        // Nothing of the over-long line is kept.
      } else if (size + piece.length > maxBytes) {
        head = Buffer.concat([...parts, piece]).subarray(0, 512);
        parts = [];
        size = 0;
        dropping = true;
      } else {
        parts.push(piece);
        size += piece.length;
      }
      if (newline === -1) return;
      if (dropping) {
        dropping = false;
        refuse();
      } else {
        parts.push(Buffer.from('\n'));
        out.write(Buffer.concat(parts));
        parts = [];
        size = 0;
      }
      data = data.subarray(newline + 1);
    }
  });
  stdin.on('end', () => out.end());
  stdin.on('error', (error) => out.destroy(error));
  return out;
}

/** The `id` of a JSON-RPC request from the first bytes of its line, or null. */
function requestId(head: Buffer | undefined): string | number | null {
  const match = head && /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")/.exec(head.toString('utf8'));
  if (!match) return null;
  try {
    return JSON.parse(match[1]!) as string | number;
  } catch {
    return null;
  }
}
