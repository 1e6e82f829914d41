/**
 * `scratchpad-store/testing`: unit-test an agent without infrastructure. A scratchpad on a fake clock, a recorder of
 * tool calls and a replayer for recorded logs, and assertions on the history that throw `AssertionError` under any
 * test runner (or none). Runs in Node and in browsers.
 */
export { createFakeClock, DEFAULT_START, type FakeClock, type FakeClockOptions } from './clock.js';
export { createTestScratchpad, isTestScratchpad, type TestScratchpad, type TestScratchpadOptions } from './scratchpad.js';
export { recordTools, parseToolLog, type RecordedTools, type RecordOptions, type ToolCallRecord } from './recorder.js';
export { replay, assertReplay, type Divergence, type ReplayOptions, type ReplayReport } from './replay.js';
export { assertHistory, type ContentAssertion, type HistoryAssertion, type HistoryMatch } from './history.js';
export { AssertionError } from './assert.js';
