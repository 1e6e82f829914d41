import { createStore, type StoreApi } from 'zustand/vanilla';
import { createTools, type Scratchpad, type Tools } from './lib.js';
import { AGENTS, SCRIPT, type AgentName, type Memory } from './script.js';

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

export interface WorkflowState {
  /** Index in SCRIPT of the next step to run. */
  readonly next: number;
  readonly log: readonly CallRecord[];
  /** Tool results the script refers back to, by name. */
  readonly memory: readonly (readonly [string, string])[];
  /** Local to this tab, never persisted. */
  readonly running: boolean;
  readonly busy: boolean;
}

export interface Workflow {
  readonly store: StoreApi<WorkflowState>;
  readonly total: number;
  step(): Promise<void>;
  run(delayMs: number): Promise<void>;
  pause(): void;
  dispose(): void;
}

const EMPTY: WorkflowState = { next: 0, log: [], memory: [], running: false, busy: false };

/**
 * Drives the scripted agents. Each agent gets its own `createTools(sp, { agent })`, so every change is attributed to it
 * and it sees only the pads it is allowed, exactly as when a model makes the calls. Progress is kept in localStorage,
 * so a reload continues where it stopped and other tabs show the same transcript.
 */
export function createWorkflow(sp: Scratchpad, storageKey: string): Workflow {
  const tools: Record<AgentName, Tools> = {
    planner: createTools(sp, { agent: 'planner', allow: { pads: ['plan'] } }),
    researcher: createTools(sp, { agent: 'researcher', allow: { pads: ['plan', 'research'] } }),
    writer: createTools(sp, { agent: 'writer', allow: { pads: ['plan', 'research', 'output'] } }),
    reviewer: createTools(sp, { agent: 'reviewer' }),
  };
  const store = createStore<WorkflowState>()(() => ({ ...EMPTY, ...load(storageKey) }));

  // Another tab ran a step: take its progress. (`storage` events fire only in the other tabs.)
  const onStorage = (event: StorageEvent) => {
    if (event.key === storageKey) store.setState({ ...EMPTY, ...parse(event.newValue), running: store.getState().running, busy: store.getState().busy });
  };
  window.addEventListener('storage', onStorage);

  async function step(): Promise<void> {
    const state = store.getState();
    const spec = SCRIPT[state.next];
    if (spec === undefined || state.busy) return;
    store.setState({ busy: true });
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
    store.setState((s) => ({ next: s.next + 1, log: [...s.log, record], memory: [...memory], busy: false }));
    save(storageKey, store.getState());
  }

  async function run(delayMs: number): Promise<void> {
    if (store.getState().running) return;
    store.setState({ running: true });
    while (store.getState().running && store.getState().next < SCRIPT.length) {
      await step();
      if (store.getState().next < SCRIPT.length) await sleep(delayMs);
    }
    store.setState({ running: false });
  }

  return {
    store,
    total: SCRIPT.length,
    step,
    run,
    pause: () => store.setState({ running: false }),
    dispose: () => {
      store.setState({ running: false });
      window.removeEventListener('storage', onStorage);
    },
  };
}

export function clearWorkflow(storageKey: string): void {
  localStorage.removeItem(storageKey);
}

export { AGENTS };

function load(key: string): Partial<WorkflowState> {
  return parse(localStorage.getItem(key));
}

function parse(text: string | null): Partial<WorkflowState> {
  if (text === null) return {};
  try {
    const value = JSON.parse(text) as Partial<WorkflowState>;
    return { next: Number(value.next) || 0, log: Array.isArray(value.log) ? value.log : [], memory: Array.isArray(value.memory) ? value.memory : [] };
  } catch {
    return {};
  }
}

function save(key: string, state: WorkflowState): void {
  localStorage.setItem(key, JSON.stringify({ next: state.next, log: state.log, memory: state.memory }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
