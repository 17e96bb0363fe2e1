/** Rendering React views and Lumino widgets in jsdom, and waiting for what they show. */
import { Widget } from '@lumino/widgets';
import React, { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';

(
  globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

export interface IRendered {
  host: HTMLElement;
  rerender(element: React.ReactElement): void;
  unmount(): void;
}

export function render(element: React.ReactElement): IRendered {
  const host = document.createElement('div');
  document.body.appendChild(host);
  let root: Root;
  act(() => {
    root = createRoot(host);
    root.render(element);
  });
  return {
    host,
    rerender: next => act(() => root.render(next)),
    unmount: () => {
      act(() => root.unmount());
      host.remove();
    }
  };
}

/** Runs `fn` inside act (state updates flushed). */
export function inAct(fn: () => void): void {
  act(fn);
}

/** Polls `find` until it gives a value (ReactWidget renders on an animation frame). */
export async function waitFor<T>(
  find: () => T | null | undefined | false,
  timeoutMs = 3000
): Promise<T> {
  const start = Date.now();
  for (;;) {
    let value: T | null | undefined | false = null;
    await act(async () => {
      value = find();
      if (!value) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
    });
    if (value) {
      return value;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error('waitFor: timed out');
    }
  }
}

export function attach(widget: Widget): void {
  act(() => Widget.attach(widget, document.body));
}

/** Awaits `fn` inside act. */
export async function inActAsync<T>(fn: () => Promise<T>): Promise<T> {
  let value!: T;
  await act(async () => {
    value = await fn();
  });
  return value;
}
