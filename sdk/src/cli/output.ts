/** How commands print: `--json` gives one JSON document on stdout; human output stays short. */
export interface IOutput {
  json: boolean;
  /** A line of human output (suppressed under --json). */
  line(text?: string): void;
  /** The JSON result (only under --json). */
  result(value: unknown): void;
}

export function createOutput(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout
): IOutput {
  return {
    json,
    line(text = '') {
      if (!json) {
        stdout.write(`${text}\n`);
      }
    },
    result(value: unknown) {
      if (json) {
        stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      }
    }
  };
}

/** Indents every line of a block of text. */
export function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map(line => (line.length > 0 ? by + line : line))
    .join('\n');
}
