/**
 * The containers of the code checks: one Node 24 base that installs dependencies from the
 * manifests and lockfiles before the rest of the source arrives (so installs cache), and the
 * test container with PostgreSQL 15 and Redis 7 bound as services.
 */
import { type Container, type Directory, dag } from "@dagger.io/dagger";
import { npm, SOURCE_DIR } from "./commands.ts";
import { POSTGRES_IMAGE, REDIS_IMAGE, TEST_TOOL_PACKAGES } from "./images-ref.ts";

/** What npm ci needs: every package.json and lockfile (workspaces and the module's own). */
const MANIFESTS = ["package.json", "package-lock.json", "**/package.json", "**/package-lock.json"];

/** Node 24 with the repository's dependencies installed, then the whole source. */
export function nodeBase(source: Directory, nodeImage: string): Container {
  return nodeBaseOn(dag.container().from(nodeImage), source);
}

/** The Debian tools the tests call (psql, pg_dump, pgbench, redis-server, promtool, amtool, shellcheck). */
function withTestTools(container: Container): Container {
  return (
    container
      // Installing a server package must not try to start its daemon inside the build.
      .withNewFile("/usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", { permissions: 0o755 })
      .withExec(["apt-get", "update", "-qq"])
      .withExec(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...TEST_TOOL_PACKAGES])
  );
}

/** The whole test suite's container: tools first (cached), then the source, then the services. */
export function testContainer(source: Directory, nodeImage: string): Container {
  const postgres = dag
    .container()
    .from(POSTGRES_IMAGE)
    .withEnvVariable("POSTGRES_HOST_AUTH_METHOD", "trust")
    .withExposedPort(5432)
    .asService({ useEntrypoint: true });
  const redis = dag.container().from(REDIS_IMAGE).withExposedPort(6379).asService({ useEntrypoint: true });
  const tools = withTestTools(dag.container().from(nodeImage));
  return (
    nodeBaseOn(tools, source)
      .withServiceBinding("postgres", postgres)
      .withServiceBinding("redis", redis)
      // ci/test/support/database.ts reads TEST_POSTGRES_URL; tests that need their own Redis start a
      // private redis-server (installed above), the shared one answers at redis:6379.
      .withEnvVariable("TEST_POSTGRES_URL", "postgresql://postgres@postgres:5432/postgres")
  );
}

/** Dependencies from the manifests and lockfiles first, so that a source change does not reinstall. */
function nodeBaseOn(base: Container, source: Directory): Container {
  return base
    .withMountedCache("/root/.npm", dag.cacheVolume("lawyers-hub-npm"))
    .withWorkdir(SOURCE_DIR)
    .withEnvVariable("CI", "true")
    .withDirectory(SOURCE_DIR, source, { include: MANIFESTS })
    .withExec([...npm.install])
    .withDirectory(SOURCE_DIR, source);
}
