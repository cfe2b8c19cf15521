import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  NotFoundException,
} from "@nestjs/common";
import type { Request, Response } from "express";
import { PinoLogger } from "nestjs-pino";
import { routePattern, UNMATCHED_ROUTE } from "./route-pattern.ts";

/**
 * Every error answers as {"error": "<what is wrong and what to do>"}, the services' contract,
 * instead of Nest's {statusCode, message}. A body that is already the contract's own object (the
 * readiness report) passes through. Anything unexpected is logged and answers 500 without detail.
 */
@Catch()
export class ErrorBodyFilter implements ExceptionFilter {
  readonly #logger: PinoLogger;

  constructor(@Inject(PinoLogger) logger: PinoLogger) {
    this.#logger = logger;
    logger.setContext("ErrorBodyFilter");
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (!(exception instanceof HttpException)) {
      this.#logger.error({ error: exception, method: request.method, route: routePattern(request) }, "request failed");
      response.status(500).json({ error: "internal error; see the service's logs" });
      return;
    }
    const body = exception.getResponse();
    if (typeof body === "object" && body !== null && !("statusCode" in body)) {
      response.status(exception.getStatus()).json(body);
      return;
    }
    const message =
      exception instanceof NotFoundException && routePattern(request) === UNMATCHED_ROUTE
        ? `no route for ${request.method} ${request.path}`
        : exception.message;
    response.status(exception.getStatus()).json({ error: message });
  }
}
