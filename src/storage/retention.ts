import type { LiveSection } from '../core/change.js';
import { rebuildFromChain } from '../core/history.js';
import type { RetentionPolicy } from '../core/types.js';
import type { PruneRequest, SessionStorage } from './types.js';

/**
 * Drops history that the policy no longer keeps, leaving a full snapshot where the kept history starts. A module of
 * its own, loaded on first use: only apps that set `history.retain` need it.
 */
export async function applyRetention(session: SessionStorage, sections: readonly LiveSection[], retain: RetentionPolicy, now: number): Promise<void> {
  const requests: PruneRequest[] = [];
  for (const live of sections) {
    const { pad, section, version } = live.record;
    let below = 1;
    if (retain.maxVersionsPerSection !== undefined) below = Math.max(below, version - retain.maxVersionsPerSection + 1);
    if (retain.maxAgeMs !== undefined) {
      const [oldestKept] = await session.readHistory({ pad, section, since: now - retain.maxAgeMs, limit: 1 });
      below = Math.max(below, oldestKept?.version ?? version);
    }
    below = Math.min(below, version);
    if (below <= 1) continue;
    const [stillThere] = await session.readEntries(pad, section, below - 1, below - 1);
    if (!stillThere) continue;
    const content = below === version ? live.record.content : rebuildFromChain(await session.readChain(pad, section, below), below);
    requests.push({ pad, section, belowVersion: below, snapshot: { pad, section, version: below, content } });
  }
  if (requests.length > 0) await session.prune(requests);
}
