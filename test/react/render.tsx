import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';

// Tells React that updates are wrapped in act(), so that it flushes them synchronously and does not warn.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface Rendered {
  readonly container: HTMLElement;
  rerender(node: ReactNode): Promise<void>;
  unmount(): Promise<void>;
}

const mounted: Rendered[] = [];

/** Renders into a fresh element of the document and lets effects and resolved promises settle. */
export async function render(node: ReactNode): Promise<Rendered> {
  const container = document.createElement('div');
  document.body.append(container);
  let root: Root | undefined;
  await act(async () => {
    root = createRoot(container);
    root.render(node);
  });
  const rendered: Rendered = {
    container,
    rerender: (next) => act(async () => root!.render(next)),
    unmount: async () => {
      await act(async () => root!.unmount());
      container.remove();
    },
  };
  mounted.push(rendered);
  return rendered;
}

export async function cleanup(): Promise<void> {
  for (const r of mounted.splice(0)) await r.unmount();
}

/** Loads the modules the library imports on first use (the default memory storage, blame). */
export async function preloadLazyModules(): Promise<void> {
  await Promise.all([import('../../src/storage/memory.js'), import('../../src/core/blame.js')]);
}

/** Runs a change (a write, a click) inside act() and waits for the updates and loads it starts. */
export async function settle<T>(change: () => T | Promise<T>): Promise<T> {
  let result: T | undefined;
  await act(async () => {
    result = await change();
  });
  // Async hooks load in effects started by the change: give their promises a turn, still inside act().
  for (let i = 0; i < 3; i++) await act(async () => new Promise((resolve) => setTimeout(resolve, 0)));
  return result as T;
}

export function click(element: Element | null | undefined): Promise<void> {
  if (!(element instanceof HTMLElement)) throw new Error(`nothing to click: ${String(element)}`);
  return settle(() => element.click());
}

/** Sets a textarea's or input's value the way a person typing does, so that React's onChange sees it. */
export function type(element: Element | null | undefined, value: string): Promise<void> {
  if (!(element instanceof HTMLTextAreaElement || element instanceof HTMLInputElement)) throw new Error('not a text field');
  const proto = element instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  return settle(() => {
    Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(element, value);
    element.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

export function button(container: ParentNode, label: string | RegExp): HTMLButtonElement {
  const found = [...container.querySelectorAll('button')].find((b) =>
    typeof label === 'string' ? b.textContent?.trim() === label : label.test(b.textContent ?? ''),
  );
  if (!found) throw new Error(`no button ${String(label)}`);
  return found;
}
