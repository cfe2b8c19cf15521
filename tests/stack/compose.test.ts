import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import {
  dependenciesOf,
  environmentOf,
  interpolate,
  loadCompose,
  longRunningServices,
  readComposeText,
  variablesIn,
} from "./support/compose-file.ts";
import { COMPOSE_FILE, DCLINT_CONFIG, repoPath } from "./support/paths.ts";
import { runTool } from "./support/run-tool.ts";

const compose = loadCompose();
const scratch = tempDir("lh-stack-compose-");
const services = compose.services;
const APPS = ["api", "web", "ai-gateway", "worker"];
const OUR_IMAGES = [...APPS, "browser-check", "ops"];
/** Ours: the digest the pipeline pins in `<SERVICE>_IMAGE` (registry mode), else `<prefix>/<service>:<release>`. */
const RELEASE_TAG = /^\$\{([A-Z_]+_IMAGE):-\$\{IMAGE_PREFIX:-lawyers-hub\}\/([a-z-]+):\$\{RELEASE:\?[^}]+\}\}$/;
/**
 * A third-party tag that names one release, optionally with a variant suffix: major.minor.patch,
 * or major.minor for PostgreSQL, whose releases have two numbers (15.13).
 */
const OVERRIDABLE_IMAGE = /^\$\{([A-Z_]+_IMAGE):-([^}]+)\}$/;
const PINNED_TAG = /^([a-z0-9./_-]+:v?\d+\.\d+\.\d+|postgres:\d+\.\d+)(-[a-z0-9.]+)?$/;
/** What the pipeline's environment file provides, with made-up values. */
const ENV_FILE: Record<string, string> = {
  RELEASE: "0123456789abcdef0123456789abcdef01234567",
  DATABASE_URL: "postgresql://lawyers_hub:pw@postgres:5432/lawyers_hub_staging",
  POSTGRES_USER: "lawyers_hub",
  POSTGRES_PASSWORD: "pw",
  POSTGRES_DB: "lawyers_hub_staging",
  CLERK_SECRET_KEY: "sk_test_clerk",
  STRIPE_SECRET_KEY: "sk_test_stripe",
  GRAFANA_ADMIN_USER: "admin",
  GRAFANA_ADMIN_PASSWORD: "grafana-pw",
};

describe("dclint", () => {
  it("passes on the compose file with the repository's dclint configuration", async () => {
    const result = await runTool(repoPath("node_modules/.bin/dclint"), [
      "-c",
      DCLINT_CONFIG,
      "-f",
      "json",
      COMPOSE_FILE,
    ]);
    expect(result.code, result.output).toBe(0);
    const [report] = JSON.parse(result.stdout) as { errorCount: number; warningCount: number; messages: unknown[] }[];
    expect(report?.messages).toEqual([]);
  });

  it("fails on a compose file that breaks its rules (the check can fail)", async () => {
    const bad = resolve(scratch, "docker-compose.yml");
    writeFileSync(bad, "services:\n  web:\n    image: nginx\n    build: .\n");
    const result = await runTool(repoPath("node_modules/.bin/dclint"), ["-c", DCLINT_CONFIG, bad]);
    expect(result.code).not.toBe(0);
  });
});

describe("images", () => {
  it("run the pipeline's images at the commit being deployed, never latest", () => {
    /** One-shots run an image of the release: migrate the api's, database-role the ops image. */
    const imageOf: Record<string, string> = { migrate: "api", "database-role": "ops" };
    for (const name of [...OUR_IMAGES, ...Object.keys(imageOf)]) {
      const image = services[name]?.image ?? "";
      const match = RELEASE_TAG.exec(image);
      expect(match, `${name}: image ${image}`).not.toBeNull();
      const service = imageOf[name] ?? name;
      expect(match?.[2]).toBe(service);
      expect(match?.[1]).toBe(`${service.toUpperCase().replaceAll("-", "_")}_IMAGE`);
    }
  });

  it("take every third-party image from a <SERVICE>_IMAGE variable whose default pins a version", () => {
    const defaults: Record<string, string> = {};
    for (const [name, service] of Object.entries(services)) {
      if (RELEASE_TAG.test(service.image ?? "")) continue;
      expect(service.image, `${name} has no image`).toBeDefined();
      const match = OVERRIDABLE_IMAGE.exec(service.image ?? "");
      expect(match, `${name}: ${service.image} is not \${NAME_IMAGE:-pinned/image:tag}`).not.toBeNull();
      const [, variable = "", pinned = ""] = match ?? [];
      expect(variable).toBe(`${name.toUpperCase().replaceAll("-", "_")}_IMAGE`);
      expect(pinned, `${name}: ${pinned}`).toMatch(PINNED_TAG);
      expect(pinned).not.toMatch(/:latest\b/);
      defaults[name] = pinned;
    }
    expect(defaults.postgres).toMatch(/^postgres:15\./);
    expect(defaults.redis).toMatch(/^redis:7\./);
    // The variable wins over the default: a mirror or a stand-in can be named.
    expect(interpolate(services.postgres?.image ?? "", { POSTGRES_IMAGE: "mirror.example/postgres:15.13" })).toBe(
      "mirror.example/postgres:15.13",
    );
  });

  it("fail to interpolate without a RELEASE, with a message that says who sets it", () => {
    expect(() => interpolate(services.api?.image ?? "", {})).toThrow(/RELEASE.*set by the pipeline/);
    expect(interpolate(services.api?.image ?? "", ENV_FILE)).toBe(`lawyers-hub/api:${ENV_FILE.RELEASE}`);
  });
});

describe("health and start-up order", () => {
  it("has a health check on every long-running service", () => {
    const running = longRunningServices(compose);
    expect(running).toEqual(
      expect.arrayContaining([...APPS, "postgres", "redis", "prometheus", "alertmanager", "grafana", "pushgateway"]),
    );
    for (const name of running) {
      const check = services[name]?.healthcheck;
      expect(check?.test, `${name} has no health check`).toBeDefined();
      expect(check?.disable, name).not.toBe(true);
    }
  });

  it("starts every app after migrate succeeded and after its dependencies are healthy", () => {
    for (const name of APPS) {
      const deps = dependenciesOf(services[name] ?? {});
      expect(deps.migrate, `${name} does not wait for migrate`).toBe("service_completed_successfully");
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(dependenciesOf(service))) {
        const oneShot = dependency === "migrate" || dependency === "database-role";
        const expected = oneShot ? "service_completed_successfully" : "service_healthy";
        expect(condition, `${name} -> ${dependency}`).toBe(expected);
        if (expected === "service_healthy") expect(services[dependency]?.healthcheck?.test).toBeDefined();
      }
    }
    expect(dependenciesOf(services.api ?? {})).toMatchObject({ postgres: "service_healthy", redis: "service_healthy" });
    expect(dependenciesOf(services.worker ?? {})).toMatchObject({
      postgres: "service_healthy",
      redis: "service_healthy",
    });
    expect(dependenciesOf(services.migrate ?? {})).toEqual({
      "database-role": "service_completed_successfully",
      postgres: "service_healthy",
    });
    expect(dependenciesOf(services["database-role"] ?? {})).toEqual({ postgres: "service_healthy" });
  });

  it("runs migrate once with prisma migrate deploy, and ops only on demand", () => {
    expect(services.migrate?.restart).toBe("no");
    expect(services.migrate?.command).toEqual(["npx", "prisma", "migrate", "deploy"]);
    expect(services.ops?.profiles).toEqual(["ops"]);
    expect(services.ops?.restart).toBe("no");
  });
});

describe("the browser check", () => {
  const check = services["browser-check"] ?? {};

  it("is a one-shot of its own profile, never started by up", () => {
    expect(check.profiles).toEqual(["browser"]);
    expect(check.restart).toBe("no");
    expect(longRunningServices(compose)).not.toContain("browser-check");
    expect(check.depends_on).toBeUndefined();
  });

  it("reaches only web: a network of its own, internal, shared with web alone", () => {
    expect(check.networks).toEqual(["browser"]);
    expect(compose.networks?.browser?.internal).toBe(true);
    const onIt = Object.entries(services)
      .filter(([, service]) => (Array.isArray(service.networks) ? service.networks : []).includes("browser"))
      .map(([name]) => name)
      .sort();
    expect(onIt).toEqual(["browser-check", "web"]);
    expect(check.ports).toBeUndefined();
  });

  it("gets no environment and no secret, runs read-only without capabilities, within limits", () => {
    expect(check.environment).toBeUndefined();
    expect(check.env_file).toBeUndefined();
    expect(check.secrets).toBeUndefined();
    expect(check.read_only).toBe(true);
    expect(check.tmpfs).toEqual(["/tmp"]);
    expect(check.cap_drop).toEqual(["ALL"]);
    expect(check.security_opt).toEqual(["no-new-privileges:true"]);
    expect(check.deploy?.resources?.limits).toEqual({ cpus: "1.00", memory: "1G" });
    expect(check.volumes).toEqual(["browser-check-report:/report"]);
    expect(compose.volumes).toHaveProperty("browser-check-report");
  });
});

describe("exposure", () => {
  it("never publishes PostgreSQL or Redis, and keeps them on an internal network", () => {
    for (const name of ["postgres", "redis"]) {
      expect(services[name]?.ports, name).toBeUndefined();
      expect(services[name]?.expose, name).toBeUndefined();
      expect(services[name]?.networks).toEqual(["backend"]);
    }
    expect(compose.networks?.backend?.internal).toBe(true);
  });

  it("publishes the apps only through the proxy; Grafana, and Prometheus/Alertmanager on loopback unless asked", () => {
    const published = Object.entries(services)
      .filter(([, service]) => service.ports?.length)
      .map(([name]) => name)
      .sort();
    expect(published).toEqual(["alertmanager", "grafana", "prometheus", "proxy"]);
    const bind = (name: string, env: Record<string, string> = {}) =>
      (services[name]?.ports ?? []).map((port) => interpolate(String(port), env));
    expect(bind("proxy")).toEqual(["0.0.0.0:443:443", "0.0.0.0:80:80"]);
    expect(bind("proxy", { PROXY_BIND_ADDRESS: "127.0.0.1", PROXY_HTTPS_PORT: "8443" })).toEqual([
      "127.0.0.1:8443:443",
      "127.0.0.1:80:80",
    ]);
    expect(bind("grafana")).toEqual(["0.0.0.0:3001:3000"]);
    expect(bind("prometheus")).toEqual(["127.0.0.1:9090:9090"]);
    expect(bind("alertmanager")).toEqual(["127.0.0.1:9093:9093"]);
    expect(bind("prometheus", { PROMETHEUS_BIND_ADDRESS: "0.0.0.0", PROMETHEUS_PORT: "19090" })).toEqual([
      "0.0.0.0:19090:9090",
    ]);
    expect(interpolate(String(services.proxy?.image), {})).toBe("caddy:2.10.2");
    // Every published port names its interface (what dclint's no-unbound-port-interfaces checks).
    for (const name of published) for (const port of bind(name)) expect(port).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+:\d+$/);
  });
});

describe("rollout", () => {
  it("lets the four apps run two containers side by side during a deploy, each draining within its grace period", () => {
    for (const name of APPS) {
      const service = services[name] as Record<string, unknown>;
      // A fixed name would make a second container of the service impossible.
      expect(service.container_name, name).toBeUndefined();
      expect(service.stop_grace_period, name).toBe("30s");
      expect((service.healthcheck as { interval?: string }).interval, name).toBe("5s");
    }
  });
});

describe("the proxy's upstreams", () => {
  const caddyfile = readFileSync(repoPath("compose/proxy/Caddyfile"), "utf8");
  /** The body of each reverse_proxy block (web's and the api's), comments left out. */
  const blocks = caddyfile
    .split(/\breverse_proxy \{/)
    .slice(1)
    .map((rest) => rest.replace(/#.*$/gm, ""));
  const seconds = (block: string, setting: string) => {
    const value = new RegExp(`\\b${setting}\\s+(\\d+)(ms|s)\\b`).exec(block);
    return value ? Number(value[1]) / (value[2] === "ms" ? 1000 : 1) : undefined;
  };

  it("retries within a budget that fits several cheap dials, and closes idle connections before Node.js does", () => {
    expect(blocks).toHaveLength(2);
    for (const block of blocks) {
      // A container that just stopped can stay in the DNS lookup for up to `refresh`: a dial to it
      // goes unanswered until dial_timeout, and must leave room in lb_try_duration for retries.
      const dial = seconds(block, "dial_timeout") ?? 3;
      const budget = seconds(block, "lb_try_duration") ?? 0;
      expect(dial).toBeLessThanOrEqual(1);
      expect(budget).toBeGreaterThanOrEqual(5 * dial);
      expect(seconds(block, "refresh")).toBeLessThanOrEqual(1);
      // Node's http server closes an idle connection after keepAliveTimeout (5 s by default);
      // the proxy must let it go first, or it may send a request on it as it closes.
      expect(seconds(block, "keepalive")).toBeLessThan(5);
      expect(block).toMatch(/\bkeepalive_idle_conns_per_host\s+\d+/);
    }
  });

  it("has no passive health: one failed try must not take a rollout's only upstream out", () => {
    // During a rollout each service has one static upstream; passive health would hold every
    // request for fail_duration after a single failed try, and a reload then answers them 502.
    for (const block of blocks) {
      expect(block).not.toMatch(/\b(fail_duration|max_fails|unhealthy_status|unhealthy_latency)\b/);
    }
  });
});

describe("secrets", () => {
  /** Which services may see each secret-bearing variable. */
  const ALLOWED: Record<string, string[]> = {
    DATABASE_URL: ["api", "backup", "database-role", "migrate", "ops", "worker"],
    POSTGRES_PASSWORD: ["postgres", "postgres-exporter"],
    REDIS_PASSWORD: ["api", "ops", "redis", "redis-exporter", "worker"],
    CLERK_SECRET_KEY: ["api", "ops"],
    STRIPE_SECRET_KEY: ["api", "ops"],
    OPENAI_API_KEY: ["ai-gateway", "ops"],
    GRAFANA_ADMIN_PASSWORD: ["grafana"],
  };

  it("gives each secret only to the services that need it", () => {
    for (const [variable, allowed] of Object.entries(ALLOWED)) {
      const users = Object.entries(services)
        .filter(([, service]) => variablesIn(JSON.stringify(service.environment ?? {})).has(variable))
        .map(([name]) => name)
        .sort();
      expect(users, variable).toEqual(allowed);
    }
  });

  it("uses no shared env_file and writes no secret value into the file", () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.env_file, name).toBeUndefined();
      for (const [variable, value] of Object.entries(environmentOf(service))) {
        if (!/(SECRET|PASSWORD|PASS|TOKEN|API_KEY|_KEY|DATABASE_URL|DATA_SOURCE_URI)$/.test(variable)) continue;
        // A secret-bearing variable may only be filled from the environment file.
        expect(variablesIn(value).size, `${name}.${variable} = ${value}`).toBeGreaterThan(0);
      }
    }
  });

  it("requires the secrets it cannot run without, naming the variable", () => {
    const text = readComposeText();
    for (const variable of [
      "DATABASE_URL",
      "POSTGRES_PASSWORD",
      "CLERK_SECRET_KEY",
      "STRIPE_SECRET_KEY",
      "GRAFANA_ADMIN_PASSWORD",
    ]) {
      expect(text).toMatch(new RegExp(`\\$\\{${variable}:\\?${variable} must be set`));
    }
  });

  it("takes Alertmanager's webhook URLs and the superuser's password from the environment as compose secrets", () => {
    expect(compose.secrets).toEqual({
      alertmanager_critical_webhook_url: { environment: "ALERTMANAGER_CRITICAL_WEBHOOK_URL" },
      alertmanager_warning_webhook_url: { environment: "ALERTMANAGER_WARNING_WEBHOOK_URL" },
      postgres_password: { environment: "POSTGRES_PASSWORD" },
    });
    const users = Object.entries(services)
      .filter(([, service]) => JSON.stringify(service.secrets ?? []).includes("postgres_password"))
      .map(([name]) => name);
    expect(users).toEqual(["database-role"]);
  });

  it("runs the database role step once before migrate, as the superuser through a password file", () => {
    const role = services["database-role"] ?? {};
    expect(role.command).toEqual(["lh-ci", "database", "role"]);
    expect(role.restart).toBe("no");
    expect(role.networks).toEqual(["backend"]);
    const env = environmentOf(role);
    expect(env.POSTGRES_PASSWORD_FILE).toBe("/run/secrets/postgres_password");
    expect(env.POSTGRES_PASSWORD).toBeUndefined();
    expect(Object.keys(env).sort()).toEqual(["DATABASE_URL", "POSTGRES_PASSWORD_FILE", "POSTGRES_USER"]);
  });
});

describe("operations", () => {
  it("sets a restart policy, resource limits and rotated logs on every service", () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toMatch(/^(unless-stopped|always|no)$/);
      expect(service.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
      expect(service.deploy?.resources?.limits?.cpus, name).toMatch(/^\d+(\.\d+)?$/);
      expect(service.logging?.driver, name).toBe("json-file");
      expect(service.logging?.options?.["max-size"], name).toBeDefined();
      expect(service.logging?.options?.["max-file"], name).toBeDefined();
    }
    for (const name of longRunningServices(compose)) expect(services[name]?.restart, name).toBe("unless-stopped");
  });

  it("keeps data, backups and the ops state on named volumes", () => {
    const volumes = Object.keys(compose.volumes ?? {});
    expect(volumes).toEqual(expect.arrayContaining(["postgres-data", "redis-data", "backups", "ops-state"]));
    expect(services.postgres?.volumes).toContain("postgres-data:/var/lib/postgresql/data");
    expect(services.redis?.volumes).toContain("redis-data:/data");
    expect(services.ops?.volumes).toEqual(["backups:/backups", "ops-state:/state"]);
    expect(environmentOf(services.ops ?? {}).LH_STATE_DIR).toBe("/state");
  });

  it("runs the backup service with up: the ops image, its volumes, the schedule command and variables", () => {
    const backup = services.backup ?? {};
    expect(backup.image).toBe(services.ops?.image);
    expect(backup.profiles).toBeUndefined();
    expect(backup.restart).toBe("unless-stopped");
    expect(backup.command).toEqual(["lh-ci", "backup", "schedule"]);
    expect(backup.healthcheck?.test).toEqual(["CMD", "lh-ci", "backup", "schedule", "--health"]);
    expect(backup.volumes).toEqual(services.ops?.volumes);
    const env = environmentOf(backup);
    expect(env.LH_STATE_DIR).toBe("/state");
    expect(env.PUSHGATEWAY_URL).toBe("http://pushgateway:9091");
    expect(interpolate(env.BACKUP_SCHEDULE_TIME ?? "", {})).toBe("02:30");
    expect(interpolate(env.BACKUP_SCHEDULE_INTERVAL ?? "", {})).toBe("24h");
    expect(interpolate(env.BACKUP_SCHEDULE_INTERVAL ?? "", { BACKUP_SCHEDULE_INTERVAL: "10s" })).toBe("10s");
    expect(interpolate(env.BACKUP_RESTORE_TEST_INTERVAL ?? "", {})).toBe("7d");
    expect(dependenciesOf(backup)).toEqual({ postgres: "service_healthy" });
  });

  it("turns Redis persistence on", () => {
    expect(JSON.stringify(services.redis?.command)).toContain("--appendonly yes");
  });

  it("configures Grafana from the environment file, without anonymous access or sign-up", () => {
    const env = environmentOf(services.grafana ?? {});
    expect(env.GF_SECURITY_ADMIN_USER).toMatch(/^\$\{GRAFANA_ADMIN_USER:\?/);
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
    expect(env.GF_USERS_ALLOW_SIGN_UP).toBe("false");
  });

  it("refers only to files that exist in the repository", () => {
    const base = dirname(COMPOSE_FILE);
    const sources = [
      ...Object.values(compose.configs ?? {}).map((config) => config.file ?? ""),
      ...Object.values(services).flatMap((service) =>
        (service.volumes ?? []).map(String).filter((volume) => volume.startsWith(".")),
      ),
    ].map((entry) => entry.split(":")[0] ?? "");
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(resolve(base, source)), source).toBe(true);
  });

  it("documents every variable it reads in compose/README.md", () => {
    const readme = readFileSync(repoPath("compose/README.md"), "utf8");
    const secretVariables = Object.values(compose.secrets ?? {}).map((secret) => secret.environment ?? "");
    for (const variable of [...variablesIn(readComposeText()), ...secretVariables]) {
      expect(readme, `compose/README.md does not mention ${variable}`).toContain(`\`${variable}\``);
    }
  });
});
