/** Words for a POSIX shell: the bridge's command lines and the sandbox containers' init scripts. */

/** Words a POSIX shell (and zsh, bash) takes literally, unquoted. `=` is left out at the start (zsh's `=cmd`). */
const BARE_WORD = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

/** Quotes one word for a POSIX shell: bare when safe, else in single quotes (`'` as `'\''`). */
export function shellQuote(word: string): string {
  if (word.includes('\0')) {
    throw new Error('a shell word cannot contain a NUL character');
  }
  return BARE_WORD.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The words quoted and joined by spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
