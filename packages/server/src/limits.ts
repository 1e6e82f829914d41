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
    maxPageBytes: partial.maxPageBytes ?? 4 * 1024 * 1024,
    maxSessionBytes: partial.maxSessionBytes ?? 256 * 1024 * 1024,
    maxUserBytes: partial.maxUserBytes ?? 1024 * 1024 * 1024,
  };
  validateInteger(limits.maxBodyBytes, 'limits.maxBodyBytes', 1024);
  validateInteger(limits.maxOpsPerPush, 'limits.maxOpsPerPush', 1);
  validateInteger(limits.maxPullLimit, 'limits.maxPullLimit', 1);
  validateInteger(limits.checkpointEvery, 'limits.checkpointEvery', 1);
  validateInteger(limits.maxPageBytes, 'limits.maxPageBytes', 1024);
  validateInteger(limits.maxSessionBytes, 'limits.maxSessionBytes', 1);
  validateInteger(limits.maxUserBytes, 'limits.maxUserBytes', 1);
  return limits;
}
