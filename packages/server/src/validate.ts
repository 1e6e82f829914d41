import type { SyncOp } from 'scratchpad-store/protocol';
import { z } from 'zod';
import { HttpError } from './errors.js';
import type { ServerLimits } from './types.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Session and client ids: they key rows and appear in URLs, so they get the name rules (non-empty, no control
 * characters, at most `maxNameLength`), and a violation is a 400: there is no op to mark as processed.
 */
export function checkId(value: string | undefined, what: 'sessionId' | 'clientId', limits: ServerLimits): string {
  if (value === undefined || value.length === 0) throw new HttpError(400, 'BAD_REQUEST', `${what} is missing.`);
  if (value.length > limits.maxNameLength) throw new HttpError(400, 'BAD_REQUEST', `${what} is longer than ${limits.maxNameLength} characters.`);
  if (CONTROL.test(value)) throw new HttpError(400, 'BAD_REQUEST', `${what} contains a control character.`);
  // Hono decodes a URL's %ED%A0%80 to a lone surrogate; it has no UTF-8 form, so no store could keep it as sent.
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new HttpError(400, 'BAD_REQUEST', `${what} contains an unpaired surrogate; use well-formed Unicode text.`);
  }
  return value;
}

const positive = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

/**
 * The shape of an op. Names are only checked for being strings here: a name the server will not take (control
 * characters, too long, empty) makes the op 'rejected', processed, so that it cannot block its client's outbox.
 * A malformed shape, by contrast, fails the whole push with 400. Unknown fields are ignored, for newer clients.
 */
const opSchema = z.object({
  clientId: z.string(),
  mutationId: positive,
  pad: z.string(),
  section: z.string(),
  kind: z.enum(['replace', 'append', 'delete']),
  content: z.string(),
  baseVersion: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  baseMutationId: positive.optional(),
  agent: z.string(),
  // A fake clock may tick in fractions; history keeps whole milliseconds. The range (validateTimestamp) is checked
  // per op by the rules, so that an op with a bad time is rejected and processed instead of blocking its outbox.
  timestamp: z
    .number()
    .refine(Number.isFinite, 'must be a finite number')
    .transform((t) => Math.round(t)),
  /** Optional: the server epoch the change was made in; an op of an older epoch is rejected SESSION_RESET. */
  epoch: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** Optional: the client's own history op for a replace ('edit', 'revert', 'write_prepend'), kept in server history. */
  op: z.enum(['write_replace', 'write_append', 'write_prepend', 'edit', 'revert', 'delete']).optional(),
});

const pushSchema = z.object({ clientId: z.string(), ops: z.array(opSchema) });

export interface ParsedPush {
  readonly clientId: string;
  readonly ops: SyncOp[];
}

export function parsePush(text: string, limits: ServerLimits): ParsedPush {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
  }
  // Counted before the field-by-field check, which would otherwise run over an oversized batch first.
  const ops = typeof body === 'object' && body !== null ? (body as { ops?: unknown }).ops : undefined;
  if (Array.isArray(ops) && ops.length > limits.maxOpsPerPush) {
    throw new HttpError(413, 'BATCH_TOO_LARGE', `A push may carry at most ${limits.maxOpsPerPush} ops; this one has ${ops.length}. Push in smaller batches.`);
  }
  const parsed = pushSchema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'BAD_REQUEST', describeIssue(parsed.error.issues[0]));
  const clientId = checkId(parsed.data.clientId, 'clientId', limits);
  return { clientId, ops: parsed.data.ops.map(stripUndefined) };
}

function stripUndefined(op: z.infer<typeof opSchema>): SyncOp {
  const { baseMutationId, op: historyOp, epoch, ...rest } = op;
  return {
    ...rest,
    ...(baseMutationId === undefined ? {} : { baseMutationId }),
    ...(historyOp === undefined ? {} : { op: historyOp }),
    ...(epoch === undefined ? {} : { epoch }),
  };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'The request body is not a valid push.';
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `body${path}: ${issue.message}`;
}

/** `limit` of a pull: a whole number from 1; larger than the server's maximum is clamped to it. */
export function parseLimit(value: string | undefined, limits: ServerLimits): number {
  const fallback = Math.min(500, limits.maxPullLimit);
  if (value === undefined || value === '') return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new HttpError(400, 'BAD_REQUEST', 'limit must be a whole number of at least 1.');
  return Math.min(Number(value), limits.maxPullLimit);
}
