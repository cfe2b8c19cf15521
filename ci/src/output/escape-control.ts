/**
 * Text from outside (a sidecar, a server's reply, a table name) made safe to print: control
 * characters and bidirectional overrides become visible escapes (`\n`, `\u001b`), so the text
 * cannot rewrite the terminal, forge an output line or hide what it says.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function escapeControl(text: string, options: { keepLineBreaks?: boolean } = {}): string {
  return text.replace(CONTROL, (char) => {
    if (options.keepLineBreaks && (char === "\n" || char === "\t")) return char;
    return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Whether the text holds a character `escapeControl` would escape. */
export function hasControl(text: string): boolean {
  CONTROL.lastIndex = 0;
  const found = CONTROL.test(text);
  CONTROL.lastIndex = 0;
  return found;
}
