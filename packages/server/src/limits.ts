import { DEFAULT_CHECKPOINT_EVERY, resolveLimits, validateInteger } from 'scratchpad-store/protocol';
import type { ServerLimits } from './types.js';

/**
 * Fills in defaults. The body limit defaults to room for one op whose content is at the section limit even when JSON
 * escapes every character (up to 6 bytes each): an op the section limit allows must never be refused by the body
 * limit, or it would block its client's outbox forever.
 */
export function resolveServerLimits(partial: Partial<ServerLimits> = {}): ServerLimits {
  const base = resolveLimits({ maxSectionBytes: partial.maxSectionBytes, maxNameLength: partial.maxNameLength });
  const limits: ServerLimits = {
    ...base,
    maxBodyBytes: partial.maxBodyBytes ?? base.maxSectionBytes * 6 + 1024 * 1024,
    maxOpsPerPush: partial.maxOpsPerPush ?? 500,
    maxPullLimit: partial.maxPullLimit ?? 1000,
    checkpointEvery: partial.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
  };
  validateInteger(limits.maxBodyBytes, 'limits.maxBodyBytes', 1024);
  validateInteger(limits.maxOpsPerPush, 'limits.maxOpsPerPush', 1);
  validateInteger(limits.maxPullLimit, 'limits.maxPullLimit', 1);
  validateInteger(limits.checkpointEvery, 'limits.checkpointEvery', 1);
  return limits;
}
