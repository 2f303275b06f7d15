/**
 * Words of a POSIX shell command line as `fuseflow emit` writes them: a literal word is quoted so
 * the shell passes it through unchanged (a glob such as `preds/*.arrow` reaches fuseflow, which
 * expands it itself), and a word marked as shell is written as is (for `"$SLURM_ARRAY_TASK_ID/4"`).
 */

/** One word: a literal string, or shell text written unquoted (the caller quotes its expansions). */
export type ShellWord = string | { readonly shell: string };

/** Characters a literal word may hold and still be written without quotes. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The literal `word` quoted for a POSIX shell: bare when it has only safe characters, else in
 * single quotes (a `'` inside becomes `'\''`).
 *
 * @example shellQuote('preds/*.arrow') // → "'preds/*.arrow'"
 */
export function shellQuote(word: string): string {
  return PLAIN.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The words joined into one command line. */
export function shellLine(words: readonly ShellWord[]): string {
  return words.map((w) => (typeof w === 'string' ? shellQuote(w) : w.shell)).join(' ');
}
