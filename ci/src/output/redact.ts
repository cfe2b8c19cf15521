/**
 * Redaction: every byte lh-ci prints goes through a Redactor, so that no secret value reaches a
 * terminal, a CI log or a summary file, even inside an error message about that very value.
 */

export const REDACTED = "***";

/** Names whose values are secrets: the application's keys plus anything that looks like a credential. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS?)$|_KEY$/i;

/** Values shorter than this are not registered: redacting "1" would garble every number printed. */
const MIN_SECRET_LENGTH = 4;

/** `scheme://user:password@host` (any scheme): the password part. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export class Redactor {
  readonly #secrets = new Set<string>();
  /** The secrets longest first (so a secret containing another is replaced whole); sorted once per change. */
  #longestFirst: string[] = [];

  /** Registers a secret value; it (and its URL-encoded form) is replaced wherever it appears. */
  add(value: string | undefined): this {
    if (!value || value.length < MIN_SECRET_LENGTH) return this;
    this.#secrets.add(value);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) this.#secrets.add(encoded);
    this.#longestFirst = [...this.#secrets].sort((a, b) => b.length - a.length);
    return this;
  }

  /** Registers the secret values of an environment: secret-named variables and URL passwords. */
  addFromEnvironment(env: Record<string, string | undefined>): this {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) continue;
      if (isSecretName(name)) this.add(value);
      for (const match of value.matchAll(URL_PASSWORD)) {
        const password = match[2] ?? "";
        this.add(password);
        this.add(safeDecode(password));
      }
    }
    return this;
  }

  redact(text: string): string {
    let result = text.replace(URL_PASSWORD, `$1${REDACTED}$3`);
    for (const secret of this.#longestFirst) result = result.split(secret).join(REDACTED);
    return result;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
