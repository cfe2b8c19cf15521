import type { BrowserContext, Page } from "playwright-core";

/**
 * Counts what the page downloads, all its requests together, from Chromium's own network events
 * (DevTools protocol), as the bytes arrive: a page that starts a 100 MB download is caught at the
 * cap, not after the download. A finished response counts its bytes on the wire (headers and
 * compressed body); one still arriving counts the body bytes received so far, decoded, because
 * Chromium reports no wire bytes before a response finishes.
 */
export class ByteMeter {
  readonly #cap: number;
  readonly #onExceeded: (total: number, url: string) => void;
  readonly #bytes = new Map<string, number>();
  readonly #urls = new Map<string, string>();
  #total = 0;
  #exceeded = false;

  constructor(cap: number, onExceeded: (total: number, url: string) => void) {
    this.#cap = cap;
    this.#onExceeded = onExceeded;
  }

  get total(): number {
    return this.#total;
  }

  async attach(context: BrowserContext, page: Page): Promise<void> {
    const session = await context.newCDPSession(page);
    session.on("Network.requestWillBeSent", (event) => this.#urls.set(event.requestId, event.request.url));
    session.on("Network.dataReceived", (event) =>
      this.#count(event.requestId, (this.#bytes.get(event.requestId) ?? 0) + event.dataLength),
    );
    session.on("Network.loadingFinished", (event) => this.#count(event.requestId, event.encodedDataLength));
    await session.send("Network.enable");
  }

  #count(requestId: string, bytes: number): void {
    this.#total += bytes - (this.#bytes.get(requestId) ?? 0);
    this.#bytes.set(requestId, bytes);
    if (this.#total > this.#cap && !this.#exceeded) {
      this.#exceeded = true;
      this.#onExceeded(this.#total, this.#urls.get(requestId) ?? "an unknown request");
    }
  }
}
