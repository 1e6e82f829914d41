import { createContext } from 'react';

/** What `npm start` tells the page: where the reference sync server runs. Absent: the demo stays local only. */
export interface DemoConfig {
  readonly syncUrl?: string;
  readonly token?: string;
}

export const DemoConfigContext = createContext<DemoConfig>({});

/** `npm start` writes demo-config.json next to the built page; a page served without it works offline. */
export async function loadDemoConfig(): Promise<DemoConfig> {
  try {
    const response = await fetch(new URL('demo-config.json', document.baseURI), { cache: 'no-store' });
    if (!response.ok) return {};
    const config = (await response.json()) as DemoConfig;
    return typeof config.syncUrl === 'string' && typeof config.token === 'string' ? config : {};
  } catch {
    return {};
  }
}
