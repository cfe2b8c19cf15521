import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { readDatabaseUrl } from "../config/database-url.ts";
import { ensureAppRoleOverNetwork, readPasswordFile } from "../roles/app-role-over-network.ts";
import { describeAppRoleOutcome } from "../roles/app-role-sql.ts";

/** `lh-ci database role`: the role step from inside the stack's network (compose service database-role). */
export const databaseRole: Command = {
  name: "database role",
  summary: "as POSTGRES_USER over the network, create DATABASE_URL's role if missing and give it the database",
  help: `Usage: lh-ci database role [--env staging]

The database role step run from inside the stack's network: the compose service database-role runs
it before migrate, so that \`docker compose up\` of a fresh volume works without lh-ci on the host.
psql connects to DATABASE_URL's server and database as POSTGRES_USER, with the password in the file
POSTGRES_PASSWORD_FILE names (a compose secret) or else POSTGRES_PASSWORD, and runs the script of
\`lh-ci stack database-role\`: creates the application role if missing (LOGIN NOSUPERUSER NOCREATEDB
NOCREATEROLE, DATABASE_URL's password sent as a SCRAM verifier), reduces it if it has more, and makes
it the owner of the database and of what a superuser owns there. A second run has nothing to do.`,
  async run({ out, loadConfig, processEnv }) {
    const { config } = loadConfig(["DATABASE_URL", "POSTGRES_USER"]);
    const read = readDatabaseUrl(config.DATABASE_URL);
    if (!read.ok) throw new UsageError(`DATABASE_URL ${read.problem}`);
    const passwordFile = processEnv.POSTGRES_PASSWORD_FILE;
    const password = passwordFile ? readPasswordFile(passwordFile) : processEnv.POSTGRES_PASSWORD;
    if (!password) {
      throw new UsageError("POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD must give POSTGRES_USER's password");
    }
    out.redactor.add(password);
    const { url } = read;
    const host = url.hosts[0];
    if (!host || url.hosts.length > 1)
      throw new UsageError("DATABASE_URL must name exactly one host for the role step");
    out.info(
      `Giving database ${url.database} on ${host}:${url.port} to role ${url.user}, as ${config.POSTGRES_USER}...`,
    );
    const outcome = await ensureAppRoleOverNetwork(
      { host, port: String(url.port), database: url.database, superuser: config.POSTGRES_USER, password },
      { name: url.user, password: url.password },
    );
    out.result(describeAppRoleOutcome(url.user, url.database, outcome));
    return ExitCode.ok;
  },
};
