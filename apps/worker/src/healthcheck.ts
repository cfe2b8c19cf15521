// The image's HEALTHCHECK (node dist/healthcheck.js): the worker answers /health.
import { probe } from "@lawyers-hub/service-kit";
import { WORKER_PORT } from "./config.ts";

await probe(WORKER_PORT);
