/**
 * Import first in a spec that loads @jupyterlab/ui-components or apputils: replaces `@jupyter/web-components` and
 * `@jupyter/react-components` (ESM the root jest config leaves untransformed) by the stand-ins of ./stubs, both
 * where ui-components resolves them (its own nested copy) and at the top level. `virtual` keeps this working
 * when npm hoists them differently.
 */
jest.mock(
  '../../../node_modules/@jupyterlab/ui-components/node_modules/@jupyter/web-components',
  () => jest.requireActual('./stubs').webComponents,
  { virtual: true }
);
jest.mock(
  '../../../node_modules/@jupyterlab/ui-components/node_modules/@jupyter/react-components',
  () => jest.requireActual('./stubs').reactComponents,
  { virtual: true }
);
jest.mock(
  '@jupyter/web-components',
  () => jest.requireActual('./stubs').webComponents,
  { virtual: true }
);
jest.mock(
  '@jupyter/react-components',
  () => jest.requireActual('./stubs').reactComponents,
  { virtual: true }
);

export {};
