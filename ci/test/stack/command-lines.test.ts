import { describe, expect, it } from "vitest";
import { formatCommandLine } from "../../src/stack/command-line.ts";
import * as compose from "../../src/stack/compose.ts";
import * as docker from "../../src/stack/docker.ts";
import { opsArgs } from "../../src/stack/ops.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const project: compose.ComposeProject = {
  name: "lawyers-hub-staging",
  files: ["/src/compose/docker-compose.staging.yml", "/src/tests/e2e/compose.e2e.yml"],
  projectDirectory: "/var/lib/lawyers-hub/staging/compose",
  envFile: "/run/lawyers-hub/env",
  imagePrefix: "lawyers-hub",
};
const line = formatCommandLine;
const COMPOSE =
  "docker compose --ansi never --file /src/compose/docker-compose.staging.yml --file /src/tests/e2e/compose.e2e.yml --project-directory /var/lib/lawyers-hub/staging/compose --project-name lawyers-hub-staging --env-file /run/lawyers-hub/env";

describe("docker compose command lines", () => {
  it("up waits for every health check, names the files, project directory, project and env file", () => {
    const up = compose.up(project, SHA);
    expect(line(up)).toBe(`${COMPOSE} up --detach --wait --wait-timeout 300 --remove-orphans`);
    expect(up.env).toEqual({ RELEASE: SHA, IMAGE_PREFIX: "lawyers-hub" });
    expect(line(compose.up(project, SHA, { withoutMigrate: true }))).toBe(
      `${COMPOSE} up --detach --wait --wait-timeout 300 --remove-orphans --scale migrate=0 --scale database-role=0`,
    );
  });

  it("the ops session runs lh-ci session in the ops container without starting its dependencies", () => {
    expect(line(compose.runOpsSession(project, SHA, "staging"))).toBe(
      `${COMPOSE} run --rm --no-TTY --no-deps ops lh-ci session --env staging`,
    );
    expect(line(compose.runOpsSession(project, SHA, "staging", "/var/lib/lawyers-hub/staging"))).toBe(
      `${COMPOSE} run --rm --no-TTY --no-deps --volume /var/lib/lawyers-hub/staging:/lh-project:ro ops lh-ci session --env staging`,
    );
  });

  it("omits --env-file when the configuration comes only from the process environment", () => {
    const { envFile: _none, ...withoutFile } = project;
    expect(line(compose.ps(withoutFile, SHA, true))).not.toContain("--env-file");
  });

  it("runs lh-ci in the ops service, with or without the database", () => {
    expect(line(compose.runOps(project, SHA, opsArgs.backup("staging")))).toBe(
      `${COMPOSE} run --rm --no-TTY ops lh-ci backup --out /backups --env staging`,
    );
    expect(line(compose.runOps(project, SHA, opsArgs.lockRelease("staging", "github:octocat"), false))).toBe(
      `${COMPOSE} run --rm --no-TTY --no-deps ops lh-ci lock release --owner github:octocat --env staging`,
    );
  });

  it("runs the migrate service with its own command, and moves backups through the ops image", () => {
    expect(line(compose.runMigrate(project, SHA))).toBe(`${COMPOSE} run --rm --no-TTY migrate`);
    expect(line(compose.readBackupFile(project, SHA, "x.sql"))).toBe(
      `${COMPOSE} run --rm --no-TTY --no-deps --entrypoint cat ops /backups/x.sql`,
    );
    expect(line(compose.writeBackupFile(project, SHA, "x.sql.json"))).toBe(
      `${COMPOSE} run --rm --no-TTY --no-deps --entrypoint install ops -m 0600 /dev/stdin /backups/x.sql.json`,
    );
  });

  it("runs the browser check without starting anything, with the image it is given, and copies its screenshot out", () => {
    const image = "lawyers-hub/browser-check:feedfacefeedfacefeedfacefeedfacefeedface";
    const check = compose.runBrowserCheck(project, SHA, image, "lawyers-hub-staging-browser-check-0a1b2c");
    expect(line(check)).toBe(
      `${COMPOSE} run --name lawyers-hub-staging-browser-check-0a1b2c --no-TTY --no-deps browser-check --url http://web:3000/ --out /report --deadline 30s --json`,
    );
    // The page is the running release's; the check is the image named (an older release has none).
    expect(check.env).toEqual({ RELEASE: SHA, IMAGE_PREFIX: "lawyers-hub", BROWSER_CHECK_IMAGE: image });
    // The screenshot comes out of the exited container: no second container to start.
    expect(line(docker.copyOut("lawyers-hub-staging-browser-check-0a1b2c", "/report/screenshot.png"))).toBe(
      "docker container cp lawyers-hub-staging-browser-check-0a1b2c:/report/screenshot.png -",
    );
  });

  it("logs and ps", () => {
    expect(line(compose.logs(project, SHA, 300, "api"))).toBe(`${COMPOSE} logs --no-color --timestamps --tail 300 api`);
    expect(line(compose.ps(project, SHA, true))).toBe(`${COMPOSE} ps --all --format json`);
  });
});

describe("docker command lines", () => {
  it("load, tag, inspect, list, remove", () => {
    expect(line(docker.loadImageStream())).toBe("docker load");
    expect(line(docker.listImageIds())).toBe("docker image ls --all --quiet --no-trunc");
    expect(line(docker.imageTags("r@sha256:a"))).toBe("docker image inspect --format '{{json .RepoTags}}' r@sha256:a");
    expect(line(docker.imageDigests(["a:1"]))).toBe("docker image inspect --format '{{json .RepoDigests}}' a:1");
    expect(line(docker.pullImage("r@sha256:a"))).toBe("docker pull r@sha256:a");
    expect(line(docker.login("ghcr.io", "ci"))).toBe("docker login --username ci --password-stdin ghcr.io");
    expect(line(docker.inspectImageLayers(["sha256:a"]))).toBe(
      "docker image inspect --format '{{.Id}} {{json .RootFS.Layers}}' sha256:a",
    );
    expect(line(docker.tagImage("sha256:abc", `lawyers-hub/api:${SHA}`))).toBe(
      `docker tag sha256:abc lawyers-hub/api:${SHA}`,
    );
    expect(line(docker.inspectImages(["a:1", "b:2"]))).toBe("docker image inspect --format '{{.Id}}' a:1 b:2");
    expect(line(docker.listImages("lawyers-hub"))).toBe(
      "docker image ls --format '{{.Repository}}:{{.Tag}}' --filter 'reference=lawyers-hub/*'",
    );
    expect(line(docker.removeImages(["a:1"]))).toBe("docker image rm a:1");
  });

  it("lists a project's containers by its compose label", () => {
    expect(line(docker.listProjectContainers("lawyers-hub-staging"))).toBe(
      `docker container ls --all --filter label=com.docker.compose.project=lawyers-hub-staging --format '{{.Label "com.docker.compose.service"}}\t{{.Image}}\t{{.State}}\t{{.Label "com.docker.compose.image"}}'`,
    );
  });

  it("puts the project files on the engine's host through a throwaway container, fed by tar", () => {
    expect(line(docker.packProject("/src", ["compose", "monitoring"]))).toBe(
      "tar --directory /src --create --file - compose monitoring",
    );
    expect(line(docker.unpackOnHost(`lawyers-hub/ops:${SHA}`, "/var/lib/lawyers-hub/staging"))).toBe(
      `docker run --rm --interactive --user 0 --network none --volume /var/lib/lawyers-hub/staging:/project --entrypoint tar lawyers-hub/ops:${SHA} --recursive-unlink --no-same-owner --directory /project --extract --file -`,
    );
  });

  it("quotes only what a reader would have to quote; arguments stay separate words", () => {
    const command = compose.runOps(project, SHA, ["releases", "record", "--note", "verify failed; it's down"]);
    expect(command.args.at(-1)).toBe("verify failed; it's down");
    expect(line(command)).toMatch(/--note 'verify failed; it'\\''s down'$/);
  });
});

describe("lh-ci arguments in the ops container", () => {
  it("records a release with its images, who, when and the result", () => {
    const args = opsArgs.releasesRecord(
      "staging",
      { commit: SHA, result: "rolled-back", startedAt: "t0", finishedAt: "t1", note: "verify failed" },
      { api: `lawyers-hub/api:${SHA}` },
      "github:octocat",
    );
    expect(args.join(" ")).toBe(
      `releases record --commit ${SHA} --image api=lawyers-hub/api:${SHA} --by github:octocat --started t0 --finished t1 --result rolled-back --note verify failed --env staging`,
    );
  });

  it("passes --allow-destructive only when allowed, and the release's migrations folder", () => {
    expect(opsArgs.migrationsCheck("staging", false).join(" ")).toBe(
      "migrations check --migrations-dir /app/apps/api/prisma/migrations --env staging",
    );
    expect(opsArgs.migrationsCheck("staging", true)).toContain("--allow-destructive");
    expect(opsArgs.restore("staging", "x.sql", { crossEnv: true, unsigned: false }).join(" ")).toBe(
      "restore /backups/x.sql --yes --allow-cross-env --backup-dir /backups --env staging",
    );
    expect(opsArgs.restore("staging", "x.sql", { crossEnv: false, unsigned: true }).join(" ")).toBe(
      "restore /backups/x.sql --yes --allow-unsigned --backup-dir /backups --env staging",
    );
  });
});
