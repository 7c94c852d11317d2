/**
 * Cilium hands HTTP path/method/host regexes to Envoy's RE2 (safe_regex). RE2 is not JavaScript:
 * it has no look-around, no backreferences and no atomic groups. This rejects what RE2 rejects
 * that a JS parse would accept, then lets the JS parser catch plain syntax errors.
 */
import { memoByText } from "./memo.js";

/** Checked for every rule and again for every output entry that carries the pattern. */
export const re2Problem: (pattern: string) => string | undefined = memoByText(re2ProblemUncached);

function re2ProblemUncached(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return "look-ahead and look-behind are not supported by RE2";
  if (/\(\?>/.test(pattern)) return "atomic groups are not supported by RE2";
  if (/\\[1-9]|\\k</.test(pattern)) return "backreferences are not supported by RE2";
  if (/\(\?<[A-Za-z]/.test(pattern)) return "named groups must be written (?P<name>...) in RE2";
  if (/[*+?}]\+/.test(pattern)) return "possessive quantifiers are not supported by RE2";
  try {
    // RE2's (?P<name>) spelling is not JS; translate it for the syntax check only.
    new RegExp(pattern.replace(/\(\?P</g, "(?<"));
  } catch (e) {
    return (e as Error).message.replace(/^Invalid regular expression: \/.*\/: /, "");
  }
  return undefined;
}
