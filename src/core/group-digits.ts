/**
 * Whole numbers with thousands separators (`12,345,678`), as `n.toLocaleString('en-US')` writes
 * them but without Intl: the first toLocaleString call of a process initialises ICU's number
 * formatting (35–100 ms here), which every shard of a map/merge evaluation paid for its one
 * "N rows" line.
 */

/**
 * `n` with a comma between groups of three digits; a fraction is rounded to a whole number.
 * @example groupDigits(1234567); // '1,234,567'
 */
export function groupDigits(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const whole = Math.round(n);
  const digits = String(Math.abs(whole));
  if (Math.abs(whole) >= 1e21) return String(whole); // exponent notation: no groups to place
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return whole < 0 || Object.is(whole, -0) ? `-${out}` : out;
}
