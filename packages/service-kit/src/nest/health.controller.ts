import { Controller, Get, HttpCode, HttpException, Inject, ServiceUnavailableException } from "@nestjs/common";
import {
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
} from "@nestjs/terminus";
import { READINESS_CHECKS, SERVICE_IDENTITY, type ServiceIdentity } from "./service-identity.ts";
import { ShutdownState } from "./shutdown-state.ts";

/**
 * GET /health (the process answers: the container's HEALTHCHECK) and GET /ready (every dependency
 * answers, checked by terminus, each bounded). The bodies are the contract lh-ci verify and the
 * e2e read: {"status","service","checks":{"redis":"ok"|what is wrong},"failing":[...]}.
 */
@Controller()
export class HealthController {
  readonly #health: HealthCheckService;
  readonly #checks: HealthIndicatorFunction[];
  readonly #identity: ServiceIdentity;
  readonly #shutdown: ShutdownState;

  constructor(
    @Inject(HealthCheckService) health: HealthCheckService,
    @Inject(READINESS_CHECKS) checks: HealthIndicatorFunction[],
    @Inject(SERVICE_IDENTITY) identity: ServiceIdentity,
    @Inject(ShutdownState) shutdown: ShutdownState,
  ) {
    this.#health = health;
    this.#checks = checks;
    this.#identity = identity;
    this.#shutdown = shutdown;
  }

  @Get("health")
  health() {
    return { status: "ok", service: this.#identity.name, release: this.#identity.release };
  }

  @Get("ready")
  @HttpCode(200)
  async ready() {
    const service = this.#identity.name;
    if (this.#shutdown.stopping) {
      throw new HttpException({ status: "shutting down", service, failing: [] }, 503);
    }
    let result: HealthCheckResult;
    try {
      result = await this.#health.check(this.#checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    const checks = readinessChecks(result.details);
    const failing = Object.entries(checks)
      .filter(([, state]) => state !== "ok")
      .map(([name]) => name);
    const body = { status: failing.length === 0 ? "ready" : "not ready", service, checks, failing };
    if (failing.length > 0) throw new HttpException(body, 503);
    return body;
  }
}

/** terminus's details ({redis: {status: "down", message}}) as "ok" or what is wrong, per dependency. */
function readinessChecks(details: HealthIndicatorResult): Record<string, string> {
  return Object.fromEntries(
    Object.entries(details).map(([name, detail]) => {
      if (detail.status === "up") return [name, "ok"];
      const message = typeof detail.message === "string" && detail.message ? detail.message : detail.status;
      return [name, message];
    }),
  );
}
