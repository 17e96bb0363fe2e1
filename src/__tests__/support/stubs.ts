/**
 * Stand-ins for modules the unit tests cannot load in jsdom:
 * - `@jupyter/web-components` / `@jupyter/react-components` are ESM that the root jest config does not transform
 *   (its transformIgnorePatterns list is narrower than @jupyterlab/testing's); ui-components imports them at
 *   load time for its toolbar, search and form parts, none of which this extension renders;
 * - `@jupyterlab/terminal`'s widget needs xterm.js and a live terminal session; the tests check what is built
 *   around it (class, title, initial command, tracker), so a recording Terminal stands in.
 *
 * Use: `jest.mock('@jupyter/web-components', () => jest.requireActual('./support/stubs').webComponents)` etc.
 */
import { Token } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import React from 'react';

export const webComponents = {
  addJupyterLabThemeChangeListener: (): void => undefined,
  jpButton: (): Record<string, never> => ({}),
  jpToolbar: (): Record<string, never> => ({}),
  provideJupyterDesignSystem: () => ({ register: (): void => undefined })
};

const element =
  (tag: string) =>
  (props: Record<string, unknown>): React.ReactElement =>
    React.createElement(tag, props);

export const reactComponents = {
  Button: element('button'),
  Search: element('input'),
  TreeView: element('div'),
  TreeItem: element('div')
};

/** The options each stand-in Terminal was built with. */
export const createdTerminals: { session: unknown; options: unknown }[] = [];

class FakeTerminal extends Widget {
  readonly ready = Promise.resolve();

  constructor(
    readonly session: unknown,
    readonly options: unknown
  ) {
    super();
    createdTerminals.push({ session, options });
    // the real widget renames itself once connected
    this.title.label = 'Terminal 1';
  }
}

export const terminal = {
  Terminal: FakeTerminal,
  ITerminalTracker: new Token('@jupyterlab/terminal:ITerminalTracker')
};
