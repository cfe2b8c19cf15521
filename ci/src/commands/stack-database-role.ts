import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { Executor } from "../stack/executor.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci stack database-role`: the deploy's database role step on its own. */
export const stackDatabaseRole: Command = {
  name: "stack database-role",
  summary: "create the application role of DATABASE_URL if missing and give it the database (as deploy does)",
  help: `Usage: lh-ci stack database-role [--env staging] [--release SHA] [stack options]

What every deploy does before anything connects as DATABASE_URL's user: starts postgres if needed
and, as POSTGRES_USER inside the postgres container (psql over its unix socket, no password),
creates that application role if it is missing (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE, with
DATABASE_URL's password, sent as a SCRAM verifier), reduces it if it has more, and makes it the
owner of the database, of its schemas and of every table, sequence, view, routine and type a
superuser owns there (a stack from before the role). One transaction; a second run has nothing to
do. Run it before a first \`docker compose up\` of a fresh volume by hand (deploy runs it itself).

  --release SHA   the release whose compose configuration starts postgres (default: the release
                  running now)

${STACK_HELP}`,
  options: {
    ...STACK_OPTIONS,
    release: { type: "string" },
  },
  async run(context) {
    const { values, out, processEnv } = context;
    const stack = new Stack(stackSettings(context), new Executor(out, processEnv));
    const release = await opsRelease(stack, values.release);
    out.result(await stack.ensureAppRole(release));
    return ExitCode.ok;
  },
};
