import type { StoreApi } from 'zustand/vanilla';
import type {
  BlameLine,
  DiffResult,
  HistoryEntry,
  HistoryOptions,
  HistoryQuery,
  ScratchpadLimits,
  ScratchpadSnapshot,
  Section,
  SectionEdit,
  WriteMode,
  WriteResult,
} from './core/types.js';
import type { StorageAdapter } from './storage/types.js';
import type { ScratchpadState } from './store/state.js';
import type { SyncAdapter, SyncStatus } from './sync/types.js';

export interface ScratchpadOptions {
  /** Per user; everything is scoped by it. Default 'default'. */
  readonly sessionId?: string;
  /** Default `memoryStorage()`; `indexedDbStorage()` from 'scratchpad-store/idb' in browsers. */
  readonly storage?: StorageAdapter;
  readonly sync?: SyncAdapter;
  readonly limits?: Partial<ScratchpadLimits>;
  readonly history?: HistoryOptions;
  /** Injectable clock, milliseconds since the epoch. */
  readonly now?: () => number;
}

/** Attribution and optimistic concurrency for one change. */
export interface ChangeOptions {
  /** Who makes the change. Default 'user'. */
  readonly agent?: string;
  /** Fail with CONFLICT unless the section is at this version (0: must not exist yet). */
  readonly expectedVersion?: number;
}

export interface WriteOptions extends ChangeOptions {
  readonly mode?: WriteMode;
}

export interface LinesOptions {
  /** First line to show, 1-based. */
  readonly from?: number;
  /** Last line to show, inclusive. */
  readonly to?: number;
}

export interface Scratchpad {
  readonly sessionId: string;
  /** Resolves once the session has been loaded from storage. Calls made before it wait for it. */
  readonly ready: Promise<void>;
  /** The zustand store behind the scratchpad, for selectors and React. */
  readonly store: StoreApi<ScratchpadState>;
  readonly storageName: string;
  readonly syncStatus: SyncStatus;

  write(pad: string, section: string, content: string, options?: WriteOptions): Promise<WriteResult>;
  edit(pad: string, section: string, edit: SectionEdit, options?: ChangeOptions): Promise<WriteResult>;
  delete(pad: string, section: string, options?: ChangeOptions): Promise<WriteResult>;
  deletePad(pad: string, options?: Pick<ChangeOptions, 'agent'>): Promise<WriteResult[]>;
  revert(pad: string, section: string, toVersion: number, options?: ChangeOptions): Promise<WriteResult>;

  read(pad: string, section: string): string | undefined;
  get(pad: string, section: string): Section | undefined;
  pads(): string[];
  sections(pad: string): string[];
  lines(pad: string, section: string, options?: LinesOptions): string;
  render(pad?: string): string;

  history(query?: HistoryQuery): Promise<HistoryEntry[]>;
  contentAt(pad: string, section: string, version: number): Promise<string>;
  diff(pad: string, section: string, fromVersion: number, toVersion?: number): Promise<DiffResult>;
  blame(pad: string, section: string): Promise<BlameLine[]>;

  /** Resolves when every change made so far is durable locally and, with sync, pushed. */
  flush(): Promise<void>;
  subscribe(listener: (state: ScratchpadState, previous: ScratchpadState) => void): () => void;
  close(): void;
  deleteSession(): Promise<void>;
  exportJSON(): Promise<ScratchpadSnapshot>;
  importJSON(snapshot: ScratchpadSnapshot): Promise<void>;
}
