// SVG files are imported as their text (the labextension builder's and jest's raw loaders).
declare module '*.svg' {
  const value: string;
  export default value;
}
