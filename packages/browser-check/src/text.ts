/**
 * Text the page chose (console messages, exception messages, URLs) made safe for the operator's
 * terminal and the CI log: control characters and bidirectional overrides become visible escapes,
 * so a page cannot forge an output line, and each piece is clipped to one readable line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function pageText(text: string, max = 300): string {
  const safe = text.replace(CONTROL, (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe;
}
