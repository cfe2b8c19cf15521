import { type BeforeApplicationShutdown, Injectable } from "@nestjs/common";

/**
 * Whether the application is shutting down: from Nest's beforeApplicationShutdown hook on, /ready
 * answers 503 so that a load balancer stops sending new requests while the server drains.
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  #stopping = false;

  get stopping(): boolean {
    return this.#stopping;
  }

  beforeApplicationShutdown(): void {
    this.#stopping = true;
  }
}
