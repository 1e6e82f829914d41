/** Everything the demo keeps outside the scratchpad, in one place. */
export const DATABASE_NAME = 'scratchpad-demo';
export const SESSION_ID = 'demo';
/** Where an older demo kept the workflow's progress per browser; now it lives in the scratchpad (see workflow.ts). */
export const LEGACY_WORKFLOW_KEY = 'scratchpad-demo:workflow';
export const USER_KEY = 'scratchpad-demo:user';
export const DEVICE_KEY = 'scratchpad-demo:device';
export const THEME_KEY = 'scratchpad-demo:theme';
export const FOLLOW_KEY = 'scratchpad-demo:follow';
/** Bumped by "Reset": every tab starts over with a fresh scratchpad when it changes. */
export const GENERATION_KEY = 'scratchpad-demo:generation';

/**
 * Delay between steps when running continuously: `?speed=fast` shortens it (the end-to-end tests use it), `?delay=ms`
 * sets it.
 */
export function stepDelay(): number {
  const params = new URLSearchParams(location.search);
  const delay = Number(params.get('delay'));
  if (params.has('delay') && Number.isFinite(delay) && delay >= 0) return delay;
  return params.get('speed') === 'fast' ? 60 : 900;
}

/** This browser (a device) and this page load (a tab). */
export interface Identity {
  /** Random, kept in localStorage: the same for every tab of this browser profile. */
  readonly device: string;
  /** "Chrome on Linux · 3f2a": how other devices see this one. */
  readonly deviceName: string;
  /** Random per page load. */
  readonly tab: string;
}

export function loadIdentity(): Identity {
  let stored: { id?: unknown; name?: unknown } = {};
  try {
    stored = JSON.parse(localStorage.getItem(DEVICE_KEY) ?? '{}') as typeof stored;
  } catch {
    stored = {};
  }
  const device = typeof stored.id === 'string' ? stored.id : randomId();
  const deviceName = typeof stored.name === 'string' ? stored.name : `${browserName()} on ${osName()} ${device.slice(0, 4)}`;
  localStorage.setItem(DEVICE_KEY, JSON.stringify({ id: device, name: deviceName }));
  return { device, deviceName, tab: randomId() };
}

function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function browserName(): string {
  const ua = navigator.userAgent;
  if (/Edg\//.test(ua)) return 'Edge';
  if (/Firefox\//.test(ua)) return 'Firefox';
  if (/Chromium\//.test(ua)) return 'Chromium';
  if (/Chrome\//.test(ua)) return 'Chrome';
  if (/Safari\//.test(ua)) return 'Safari';
  return 'Browser';
}

function osName(): string {
  const ua = navigator.userAgent;
  if (/Android/.test(ua)) return 'Android';
  if (/iPhone|iPad/.test(ua)) return 'iOS';
  if (/Mac OS X/.test(ua)) return 'macOS';
  if (/Windows/.test(ua)) return 'Windows';
  if (/Linux/.test(ua)) return 'Linux';
  return 'a device';
}

/** The agent name a person's edits carry: their name and this device, so two devices never read as one "you". */
export function personAgent(user: string, identity: Identity): string {
  return `${user.trim() || 'you'} · ${identity.deviceName}`;
}

/** "you on this browser" for this device's person, "ann on Firefox on macOS 9c1d" for another's. */
export function agentLabeller(identity: Identity): (agent: string) => string | undefined {
  return (agent) => {
    const at = agent.lastIndexOf(' · ');
    if (at === -1) return undefined;
    const name = agent.slice(0, at);
    const device = agent.slice(at + 3);
    return device === identity.deviceName ? `${name} on this browser` : `${name} on ${device}`;
  };
}

export type Theme = 'system' | 'light' | 'dark';

export function loadTheme(): Theme {
  const value = localStorage.getItem(THEME_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** The library's stylesheet follows the system unless <html data-theme> says otherwise. */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  if (theme === 'system') localStorage.removeItem(THEME_KEY);
  else localStorage.setItem(THEME_KEY, theme);
}
