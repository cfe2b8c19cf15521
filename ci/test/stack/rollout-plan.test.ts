import { describe, expect, it } from "vitest";
import { formatCommandLine as line } from "../../src/stack/command-line.ts";
import * as compose from "../../src/stack/compose.ts";
import * as docker from "../../src/stack/docker.ts";
import {
  type ProjectContainer,
  parseConfigHashes,
  parseContainers,
  planRollout,
  ROLLING_SERVICES,
  readiness,
  servicesAround,
} from "../../src/stack/rollout-plan.ts";

const NEW = { configHash: "hash-b", imageId: "sha256:bbb" };
const OLD = { configHash: "hash-a", imageId: "sha256:aaa" };

function container(service: string, number: number, made: typeof NEW, state = "running"): ProjectContainer {
  return { id: `${service}-${number}-id`, name: `lh-${service}-${number}`, service, state, ...made };
}

describe("planRollout", () => {
  it("rolls out each stateless service whose running container has another configuration: one more container", () => {
    const plan = planRollout([container("api", 1, OLD), container("web", 1, OLD)], { api: NEW, web: NEW });
    expect(plan).toEqual([
      { service: "api", old: [container("api", 1, OLD)], scale: 2 },
      { service: "web", old: [container("web", 1, OLD)], scale: 2 },
    ]);
  });

  it("leaves a service alone whose containers are current (a redeploy), or that runs nothing (compose up starts it)", () => {
    expect(planRollout([container("api", 1, NEW)], { api: NEW, web: NEW })).toEqual([]);
    expect(planRollout([container("web", 1, OLD, "exited")], { web: NEW })).toEqual([]);
  });

  it("counts the same image under another configuration, or another image under the same configuration, as changed", () => {
    expect(planRollout([container("api", 1, { ...NEW, imageId: OLD.imageId })], { api: NEW })).toHaveLength(1);
    expect(planRollout([container("api", 1, { ...NEW, configHash: OLD.configHash })], { api: NEW })).toHaveLength(1);
  });

  it("after an interrupted rollout only drains the old containers: the current one is not started again", () => {
    const plan = planRollout([container("worker", 1, OLD), container("worker", 2, NEW)], { worker: NEW });
    expect(plan).toEqual([{ service: "worker", old: [container("worker", 1, OLD)], scale: 2 }]);
  });

  it("never rolls out a service it is not asked about (postgres, redis and the monitoring are compose up's)", () => {
    expect(planRollout([container("postgres", 1, OLD)], { postgres: NEW })).toEqual([]);
    expect(ROLLING_SERVICES).toEqual(["api", "web", "ai-gateway", "worker"]);
  });
});

describe("what the engine reports", () => {
  it("reads docker's container lines, compose's config hashes and a container's state and health", () => {
    const listed =
      "abc\tlh-api-1\tapi\trunning\thash-a\tsha256:aaa\n\ndef\tlh-migrate-1\tmigrate\texited\thash-m\tsha256:mmm\n";
    expect(parseContainers(listed)).toEqual([
      { id: "abc", name: "lh-api-1", service: "api", state: "running", configHash: "hash-a", imageId: "sha256:aaa" },
      {
        id: "def",
        name: "lh-migrate-1",
        service: "migrate",
        state: "exited",
        configHash: "hash-m",
        imageId: "sha256:mmm",
      },
    ]);
    expect(parseConfigHashes("api 1f2e\nweb 3c4d\n")).toEqual({ api: "1f2e", web: "3c4d" });
    expect(readiness("running healthy\n")).toEqual({ ready: true });
    expect(readiness("running none")).toEqual({ ready: true });
    expect(readiness("running starting")).toEqual({ ready: false });
    expect(readiness("running unhealthy")).toEqual({ ready: false, failed: "its health check failed (unhealthy)" });
    expect(readiness("restarting starting")).toEqual({ ready: false, failed: "it is restarting" });
    expect(readiness("exited none")).toEqual({ ready: false, failed: "it is exited" });
  });
});

describe("servicesAround", () => {
  const dependencies = {
    postgres: [],
    migrate: ["postgres"],
    api: ["migrate", "postgres"],
    web: ["api", "migrate"],
    proxy: [],
    "browser-check": ["web"],
    report: ["browser-check"],
  };

  it("starts before the rollout what does not depend on a rolling service, without the one-shot migrate; the rest after", () => {
    expect(servicesAround(dependencies, ["api", "web"], ["migrate"])).toEqual({
      before: ["postgres", "proxy"],
      after: ["browser-check", "report"],
    });
  });
});

describe("rollout command lines", () => {
  const project: compose.ComposeProject = {
    name: "lawyers-hub-staging",
    files: ["/src/compose/docker-compose.staging.yml"],
    projectDirectory: "/src/compose",
    imagePrefix: "lawyers-hub",
  };
  const COMPOSE =
    "docker compose --ansi never --file /src/compose/docker-compose.staging.yml --project-directory /src/compose --project-name lawyers-hub-staging";
  const SHA = "0123456789abcdef0123456789abcdef01234567";

  it("adds one container next to the running ones without recreating them or touching dependencies", () => {
    const scales = [
      { service: "api", scale: 2 },
      { service: "web", scale: 2 },
    ];
    expect(line(compose.scaleUp(project, SHA, scales))).toBe(
      `${COMPOSE} up --detach --no-deps --no-recreate --scale api=2 --scale web=2 api web`,
    );
    expect(line(compose.configHashes(project, SHA, ["api", "web"]))).toBe(`${COMPOSE} config --hash api,web`);
    expect(line(compose.upSome(project, SHA, ["postgres", "proxy"]))).toBe(
      `${COMPOSE} up --detach --wait --wait-timeout 300 --remove-orphans postgres proxy`,
    );
    expect(line(compose.upSome(project, SHA, ["postgres"], false))).toBe(
      `${COMPOSE} up --detach --remove-orphans postgres`,
    );
  });

  it("stops with each container's own grace period (no --time), and removes by ID", () => {
    expect(line(docker.stopContainers(["abc", "def"]))).toBe("docker container stop abc def");
    expect(line(docker.removeContainers(["abc"], true))).toBe("docker container rm --force abc");
    expect(line(docker.containerHealth("abc"))).toBe(
      "docker container inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' abc",
    );
  });
});
