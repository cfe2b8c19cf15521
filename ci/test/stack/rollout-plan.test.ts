import { describe, expect, it } from "vitest";
import { formatCommandLine as line } from "../../src/stack/command-line.ts";
import * as compose from "../../src/stack/compose.ts";
import * as docker from "../../src/stack/docker.ts";
import {
  type ContainerState,
  type ProjectContainer,
  parseConfigHashes,
  parseContainerStates,
  parseContainers,
  planRollout,
  ROLLING_SERVICES,
  readiness,
  rolledConfigHashes,
  rolledContainers,
  servicesAround,
  stackCurrency,
  withRolledCopies,
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

  it("counts a container the rollout started (compose's hash without depends_on) as current: it is not replaced again", () => {
    const rolled = { ...NEW, configHash: "hash-b-rolled" };
    expect(planRollout([container("api", 2, rolled)], { api: { ...NEW, rolledConfigHash: "hash-b-rolled" } })).toEqual(
      [],
    );
    // Unknown (the read-back failed or did not reproduce compose's hash): replaced, as before.
    expect(planRollout([container("api", 2, rolled)], { api: NEW })).toHaveLength(1);
  });

  it("never rolls out a service it is not asked about (postgres, redis and the monitoring are compose up's)", () => {
    expect(planRollout([container("postgres", 1, OLD)], { postgres: NEW })).toEqual([]);
    expect(ROLLING_SERVICES).toEqual(["api", "web", "ai-gateway", "worker"]);
  });
});

describe("stackCurrency: whether compose up would change nothing", () => {
  const hashes = { api: NEW.configHash, postgres: "hash-p", migrate: "hash-m" };
  const images = new Map([
    ["lh/api:b", NEW.imageId],
    ["lh-e2e/postgres:15", "sha256:ppp"],
  ]);
  const postgres = { ...container("postgres", 1, { configHash: "hash-p", imageId: "sha256:ppp" }) };
  const api = container("api", 1, NEW);
  const state = (c: ProjectContainer, extra: Partial<ContainerState> = {}): [string, ContainerState] => [
    c.id,
    {
      id: c.id,
      oneOff: false,
      state: c.state,
      health: "healthy",
      imageRef: c.service === "api" ? "lh/api:b" : c.service === "postgres" ? "lh-e2e/postgres:15" : "lh/ops:b",
      ...extra,
    },
  ];
  const decide = (containers: ProjectContainer[], extra: Record<string, Partial<ContainerState>> = {}) =>
    stackCurrency(containers, new Map(containers.map((c) => state(c, extra[c.service]))), hashes, images, [
      "migrate",
      "database-role",
    ]);

  it("is current when every service has one running, healthy container of its configuration and image", () => {
    expect(decide([api, postgres])).toEqual({ current: true, leftovers: [] });
    expect(decide([api, postgres], { postgres: { health: "none" } })).toEqual({ current: true, leftovers: [] });
  });

  it("counts a container a rollout started as current when its hash is the service's rolled one", () => {
    const rolled = container("api", 2, { ...NEW, configHash: "hash-b-rolled" });
    const containers = [rolled, postgres];
    const states = new Map(containers.map((c) => state(c)));
    const oneShots = ["migrate", "database-role"];
    const services = Object.keys(hashes);
    expect(stackCurrency(containers, states, hashes, images, oneShots, services, { api: "hash-b-rolled" })).toEqual({
      current: true,
      leftovers: [],
    });
    expect(stackCurrency(containers, states, hashes, images, oneShots, services)).toMatchObject({
      why: "api's configuration changed",
    });
  });

  it("hands back the one-shots' exited containers (up would remove them) and ignores compose run ones", () => {
    const migrate = container("migrate", 1, { configHash: "hash-m", imageId: "sha256:ooo" }, "exited");
    const session = container("ops", 1, { configHash: "hash-o", imageId: "sha256:ooo" });
    expect(decide([api, postgres, migrate, session], { ops: { oneOff: true } })).toEqual({
      current: true,
      leftovers: [migrate],
    });
    expect(decide([api, postgres, { ...migrate, state: "running" }])).toEqual({
      current: false,
      why: "the one-shot lh-migrate-1 is running",
    });
  });

  it("is not current when up would do anything: a change, a missing or extra container, ill health, an orphan", () => {
    expect(decide([container("api", 1, OLD), postgres])).toMatchObject({
      current: false,
      why: "api's configuration changed",
    });
    expect(decide([container("api", 1, { ...NEW, imageId: OLD.imageId }), postgres])).toMatchObject({
      why: "api's image changed",
    });
    expect(decide([postgres])).toMatchObject({ why: "api has 0 containers" });
    expect(decide([api, container("api", 2, NEW), postgres])).toMatchObject({ why: "api has 2 containers" });
    expect(decide([api, postgres], { postgres: { health: "starting" } })).toMatchObject({
      why: "lh-postgres-1 is not healthy (starting)",
    });
    expect(decide([api, postgres], { api: { health: "unhealthy" } })).toMatchObject({ current: false });
    expect(decide([container("api", 1, NEW, "exited"), postgres])).toMatchObject({ why: "lh-api-1 is exited" });
    const orphan = container("old-service", 1, NEW);
    expect(decide([api, postgres, orphan])).toMatchObject({
      why: "lh-old-service-1 is not of a service of the compose file",
    });
    // A container the inspection did not see (gone meanwhile), or an image reference that names nothing now.
    expect(stackCurrency([api, postgres], new Map([state(api)]), hashes, images, [])).toMatchObject({ current: false });
    expect(decide([api, postgres], { api: { imageRef: "lh/api:gone" } })).toMatchObject({ why: "api's image changed" });
  });

  it("looks only at the services asked about (an up of some of them), and at orphans always", () => {
    const changedApi = container("api", 1, OLD);
    const onlyPostgres = (containers: ProjectContainer[]) =>
      stackCurrency(
        containers,
        new Map(containers.map((c) => state(c))),
        hashes,
        images,
        ["migrate", "database-role"],
        ["postgres"],
      );
    expect(onlyPostgres([changedApi, postgres])).toEqual({ current: true, leftovers: [] });
    expect(onlyPostgres([changedApi])).toMatchObject({ why: "postgres has 0 containers" });
    expect(onlyPostgres([changedApi, postgres, container("old-service", 1, NEW)])).toMatchObject({ current: false });
  });

  it("reads docker's inspection lines", () => {
    expect(parseContainerStates("abc\tFalse\trunning\thealthy\tlh/api:b\ndef\tTrue\texited\tnone\tlh/ops:b\n")).toEqual(
      new Map([
        ["abc", { id: "abc", oneOff: false, state: "running", health: "healthy", imageRef: "lh/api:b" }],
        ["def", { id: "def", oneOff: true, state: "exited", health: "none", imageRef: "lh/ops:b" }],
      ]),
    );
    // The format gives the parser's five fields, in its order.
    const { args } = docker.containerStates(["abc"]);
    expect(args.slice(0, 3)).toEqual(["container", "inspect", "--format"]);
    expect(args[3]?.split("\t").map((field) => field.replace(/[{}]/g, "").split(" ")[0])).toEqual([
      ".Id",
      "index",
      ".State.Status",
      "if",
      ".Config.Image",
    ]);
    expect(args.at(-1)).toBe("abc");
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

describe("the hash of a container the rollout started", () => {
  const config = JSON.stringify({
    name: "lh",
    services: {
      api: {
        image: "lh/api:b",
        depends_on: { postgres: { condition: "service_healthy" } },
        environment: { P: "a$$b" },
      },
      postgres: { image: "postgres:15" },
    },
  });

  it("is read from a copy of each rolling service without depends_on, the rest of the project as it was", () => {
    const project = JSON.parse(withRolledCopies(config, ["api", "web"]));
    expect(Object.keys(project.services)).toEqual(["api", "postgres", "api--rolled"]);
    expect(project.services["api--rolled"]).toEqual({ image: "lh/api:b", environment: { P: "a$$b" } });
    expect(project.services.api.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
  });

  it("is trusted only where reading the project back reproduced compose's own hash of the service", () => {
    const hashes = { api: "h-api", web: "h-web", postgres: "h-pg" };
    const readBack = { api: "h-api", "api--rolled": "r-api", web: "changed", "web--rolled": "r-web", postgres: "h-pg" };
    expect(rolledConfigHashes(hashes, readBack)).toEqual({ api: "r-api" });
    expect(rolledConfigHashes(hashes, {})).toEqual({});
  });

  it("marks the running containers a plain compose up would recreate although they are current", () => {
    const rolled = container("api", 2, { ...NEW, configHash: "hash-b-rolled" });
    const exited = container("worker", 1, { ...NEW, configHash: "hash-w-rolled" }, "exited");
    const plain = container("web", 1, NEW);
    const rolledHashes = { api: "hash-b-rolled", worker: "hash-w-rolled", web: "hash-web-rolled" };
    expect(rolledContainers([rolled, plain, exited, container("postgres", 1, OLD)], rolledHashes)).toEqual([rolled]);
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
    expect(line(compose.upAlone(project, SHA, ["web"]))).toBe(
      `${COMPOSE} up --detach --wait --wait-timeout 300 --no-deps web`,
    );
    expect(line(compose.configHashesOfStdin(project))).toBe(
      "docker compose --ansi never --file - --project-directory /src/compose --project-name lawyers-hub-staging config --hash '*'",
    );
    expect(compose.configHashesOfStdin(project).env).toBeUndefined();
  });

  it("stops with each container's own grace period (no --time), and removes by ID", () => {
    expect(line(docker.stopContainers(["abc", "def"]))).toBe("docker container stop abc def");
    expect(line(docker.removeContainers(["abc"], true))).toBe("docker container rm --force abc");
    expect(line(docker.containerHealth("abc"))).toBe(
      `docker container inspect --format '{{.State.Status}} {{if index .State "Health"}}{{.State.Health.Status}}{{else}}none{{end}}' abc`,
    );
  });
});
