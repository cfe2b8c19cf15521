// The image's HEALTHCHECK: the web answers /health.
import { probe } from "@lawyers-hub/service-kit";

await probe(3000);
