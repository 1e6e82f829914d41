import { createStore, type StoreApi } from 'zustand/vanilla';
import { createTools, isScratchpadError, type Scratchpad, type Section, type Tools } from './lib.js';
import { AGENTS, SCRIPT, type AgentName, type Memory } from './script.js';
import type { Identity } from './settings.js';

/**
 * The workflow's progress and its runner's lease live in the scratchpad itself, in a pad the panel does not list:
 * every tab and every device synced to the same server sees the same step and who is running it.
 */
export const WORKFLOW_PAD = '.workflow';
const PROGRESS = 'progress';
const LEASE = 'lease';
const AGENT = 'workflow';
/** A runner renews its lease this often… */
export const HEARTBEAT_MS = 2_500;
/** …and a lease not renewed for this long is free: the runner's tab closed or its device went away. */
export const LEASE_TTL_MS = 9_000;

/** One tool call as it happened: what the agent sent and what the tool answered. */
export interface CallRecord {
  readonly step: number;
  readonly agent: AgentName;
  readonly intent: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly output: string;
  readonly isError: boolean;
  readonly at: number;
}

export interface Progress {
  /** Index in SCRIPT of the next step to run. */
  readonly next: number;
  readonly log: readonly CallRecord[];
  /** Tool results the script refers back to, by name. */
  readonly memory: readonly (readonly [string, string])[];
}

export interface Lease {
  /** `<device>/<tab>` of the runner. */
  readonly holder: string;
  readonly device: string;
  readonly deviceName: string;
  readonly expiresAt: number;
}

/** What this tab is doing; the shared state is in the scratchpad. */
export interface LocalState {
  readonly running: boolean;
  readonly busy: boolean;
  /** Why the last Run or Next step did not start, for the page. */
  readonly notice?: string;
}

export interface Workflow {
  readonly store: StoreApi<LocalState>;
  readonly total: number;
  readonly identity: Identity;
  step(): Promise<void>;
  run(delayMs: number): Promise<void>;
  pause(): void;
  /**
   * Starts listening for the page going away; the function it returns stops the runner and the listening. A React
   * effect calls it on mount and its cleanup on unmount, so it may run connect → disconnect → connect (StrictMode, a
   * remount): the workflow must work again after a reconnect, which is why this is not a one-way `dispose`.
   */
  connect(): () => void;
}

export const EMPTY_PROGRESS: Progress = { next: 0, log: [], memory: [] };

export function parseProgress(section: Section | undefined): Progress {
  if (section === undefined || section.content === '') return EMPTY_PROGRESS;
  try {
    const value = JSON.parse(section.content) as Partial<Progress>;
    return {
      next: Number(value.next) || 0,
      log: Array.isArray(value.log) ? value.log : [],
      memory: Array.isArray(value.memory) ? value.memory : [],
    };
  } catch {
    return EMPTY_PROGRESS;
  }
}

export function parseLease(section: Section | undefined): Lease | undefined {
  if (section === undefined || section.content === '') return undefined;
  try {
    const value = JSON.parse(section.content) as Partial<Lease>;
    if (typeof value.holder !== 'string' || typeof value.expiresAt !== 'number') return undefined;
    return { holder: value.holder, device: String(value.device ?? ''), deviceName: String(value.deviceName ?? 'another device'), expiresAt: value.expiresAt };
  } catch {
    return undefined;
  }
}

/** The lease if someone holds it now. */
export function activeLease(section: Section | undefined, now: number): Lease | undefined {
  const lease = parseLease(section);
  return lease !== undefined && lease.expiresAt > now ? lease : undefined;
}

/** One record per line: a step's new version of the progress differs from the last by a line or two. */
function formatProgress(progress: Progress): string {
  return ['{', `"next": ${progress.next},`, `"memory": ${JSON.stringify(progress.memory)},`, '"log": [', progress.log.map((r) => JSON.stringify(r)).join(',\n'), ']', '}'].join('\n');
}

/**
 * Drives the scripted agents. Each agent gets its own `createTools(sp, { agent })`, so every change is attributed to it
 * and it sees only the pads it is allowed, exactly as when a model makes the calls. One runner at a time: a tab takes
 * the lease (a conditional write of the lease section), renews it while it runs and gives it back when it stops; a
 * lease that is not renewed expires, so a closed tab or a lost device never blocks the others for long. Each step
 * writes the progress conditionally on the version it started from, so two runners can never both record a step.
 */
export function createWorkflow(sp: Scratchpad, identity: Identity): Workflow {
  const tools: Record<AgentName, Tools> = {
    planner: createTools(sp, { agent: 'planner', allow: { pads: ['plan'] } }),
    researcher: createTools(sp, { agent: 'researcher', allow: { pads: ['plan', 'research'] } }),
    writer: createTools(sp, { agent: 'writer', allow: { pads: ['plan', 'research', 'output'] } }),
    reviewer: createTools(sp, { agent: 'reviewer', allow: { pads: ['plan', 'research', 'output', 'review'] } }),
  };
  const me = `${identity.device}/${identity.tab}`;
  const store = createStore<LocalState>()(() => ({ running: false, busy: false }));
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Mounted in a page that shows it; a run stops when the last connection goes. */
  let connections = 0;

  const leaseSection = () => sp.get(WORKFLOW_PAD, LEASE);
  const holdsLease = () => parseLease(leaseSection())?.holder === me;

  function busyElsewhere(lease: Lease): string {
    return lease.device === identity.device ? 'The workflow is running in another tab.' : `The workflow is running on ${lease.deviceName}.`;
  }

  async function acquire(): Promise<boolean> {
    const section = leaseSection();
    const lease = activeLease(section, Date.now());
    if (lease !== undefined && lease.holder !== me) {
      store.setState({ notice: busyElsewhere(lease) });
      return false;
    }
    try {
      await writeLease(section?.version ?? 0);
    } catch (error) {
      if (isScratchpadError(error) && error.code === 'CONFLICT') {
        const other = activeLease(leaseSection(), Date.now());
        store.setState({ notice: other ? busyElsewhere(other) : 'Another tab took the workflow a moment ago.' });
        return false;
      }
      throw error;
    }
    // Pushed, and the server's answer pulled, before the first step: if another device took the lease first, the pull
    // brings its lease and this tab stops here. Awaited in full, with no timer of its own: on a slow machine a
    // timeout would start the run unconfirmed (each sync request has the transport's own timeout; offline, flush
    // fails at once and a device alone runs on its own lease).
    await sp.flush().catch(() => undefined);
    if (!holdsLease()) {
      const other = activeLease(leaseSection(), Date.now());
      store.setState({ notice: other ? busyElsewhere(other) : 'Another device took the workflow a moment ago.' });
      return false;
    }
    store.setState({ notice: undefined });
    return true;
  }

  function writeLease(expectedVersion: number): Promise<unknown> {
    const lease: Lease = { holder: me, device: identity.device, deviceName: identity.deviceName, expiresAt: Date.now() + LEASE_TTL_MS };
    return sp.write(WORKFLOW_PAD, LEASE, JSON.stringify(lease), { agent: AGENT, expectedVersion });
  }

  async function renew(): Promise<void> {
    const section = leaseSection();
    if (parseLease(section)?.holder !== me || section === undefined) {
      // Someone else holds it now (this tab was too slow to renew, or a reset emptied the scratchpad): stop.
      store.setState({ running: false, notice: 'The workflow was taken over elsewhere; stopped here.' });
      return;
    }
    await writeLease(section.version).catch(() => store.setState({ running: false }));
  }

  async function release(): Promise<void> {
    const section = leaseSection();
    if (section === undefined || parseLease(section)?.holder !== me) return;
    await sp.write(WORKFLOW_PAD, LEASE, '', { agent: AGENT, expectedVersion: section.version }).catch(() => undefined);
  }

  /** Runs the next step if this tab holds the lease and nobody recorded it meanwhile; false to stop. */
  async function runOne(): Promise<boolean> {
    if (!holdsLease()) return false;
    const section = sp.get(WORKFLOW_PAD, PROGRESS);
    const state = parseProgress(section);
    const spec = SCRIPT[state.next];
    if (spec === undefined) return false;
    const memory = new Map(state.memory);
    const recall: Memory = {
      recall: (name) => {
        const text = memory.get(name);
        if (text === undefined) throw new Error(`the agent has not read '${name}' yet`);
        return text;
      },
    };
    let args: Record<string, unknown> = {};
    let output: string;
    let isError: boolean;
    try {
      args = spec.args(recall);
      ({ text: output, isError } = await tools[spec.agent].run(spec.tool, args));
    } catch (error) {
      // The script could not form its arguments (a person changed the text it was looking for): a model would
      // stumble here too. Record it and move on rather than stall the demo.
      output = `Error: ${error instanceof Error ? error.message : String(error)}`;
      isError = true;
    }
    if (spec.remember !== undefined && !isError) memory.set(spec.remember, output);
    const record: CallRecord = { step: state.next, agent: spec.agent, intent: spec.intent, tool: spec.tool, args, output, isError, at: Date.now() };
    try {
      await sp.write(WORKFLOW_PAD, PROGRESS, formatProgress({ next: state.next + 1, log: [...state.log, record], memory: [...memory] }), {
        agent: AGENT,
        expectedVersion: section?.version ?? 0,
      });
    } catch (error) {
      if (isScratchpadError(error) && error.code === 'CONFLICT') return false;
      throw error;
    }
    return true;
  }

  async function step(): Promise<void> {
    const local = store.getState();
    if (local.busy || local.running || parseProgress(sp.get(WORKFLOW_PAD, PROGRESS)).next >= SCRIPT.length) return;
    store.setState({ busy: true });
    try {
      if (await acquire()) {
        await runOne();
        await release();
      }
    } finally {
      store.setState({ busy: false });
    }
  }

  async function run(delayMs: number): Promise<void> {
    if (store.getState().running || store.getState().busy) return;
    store.setState({ busy: true });
    let acquired = false;
    try {
      acquired = await acquire();
    } finally {
      store.setState({ busy: false });
    }
    if (!acquired) return;
    if (connections === 0) {
      // Unmounted while the lease was being taken: give it back now rather than leave it to expire.
      await release();
      return;
    }
    store.setState({ running: true });
    heartbeat = setInterval(() => void renew(), HEARTBEAT_MS);
    try {
      while (store.getState().running && connections > 0) {
        store.setState({ busy: true });
        const ok = await runOne();
        store.setState({ busy: false });
        if (!ok || parseProgress(sp.get(WORKFLOW_PAD, PROGRESS)).next >= SCRIPT.length) break;
        await sleep(delayMs);
      }
    } finally {
      clearInterval(heartbeat);
      heartbeat = undefined;
      store.setState({ running: false, busy: false });
      await release();
    }
  }

  // A tab that goes away gives the lease back at once where it can; otherwise the lease expires.
  const onPageHide = () => {
    store.setState({ running: false });
    void release();
  };

  return {
    store,
    total: SCRIPT.length,
    identity,
    step,
    run,
    pause: () => store.setState({ running: false }),
    connect: () => {
      if (connections++ === 0) window.addEventListener('pagehide', onPageHide);
      let connected = true;
      return () => {
        if (!connected) return;
        connected = false;
        if (--connections > 0) return;
        window.removeEventListener('pagehide', onPageHide);
        // The loop sees `running` false at its next turn and releases the lease in its `finally`.
        store.setState({ running: false });
      };
    },
  };
}

export { AGENTS };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
