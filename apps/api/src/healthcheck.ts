// The image's HEALTHCHECK (node dist/healthcheck.js): the api answers /health.
import { probe } from "@lawyers-hub/service-kit";
import { API_PORT } from "./config.ts";

await probe(API_PORT);
