// The image's HEALTHCHECK (node dist/healthcheck.js): the gateway answers /health.
import { probe } from "@lawyers-hub/service-kit";
import { GATEWAY_PORT } from "./config.ts";

await probe(GATEWAY_PORT);
