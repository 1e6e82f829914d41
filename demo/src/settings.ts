/** Everything the demo keeps outside the scratchpad, in one place. */
export const DATABASE_NAME = 'scratchpad-demo';
export const SESSION_ID = 'demo';
export const WORKFLOW_KEY = 'scratchpad-demo:workflow';
export const USER_KEY = 'scratchpad-demo:user';
/** Bumped by "Reset": every tab starts over with a fresh scratchpad when it changes. */
export const GENERATION_KEY = 'scratchpad-demo:generation';

/** Delay between steps when running continuously; `?speed=fast` shortens it (the end-to-end test uses it). */
export function stepDelay(): number {
  return new URLSearchParams(location.search).get('speed') === 'fast' ? 60 : 900;
}
