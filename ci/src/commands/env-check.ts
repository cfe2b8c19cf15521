import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { ConfigError } from "../config/load.ts";

/** `lh-ci env check`: validates an environment's configuration without printing any secret. */
export const envCheck: Command = {
  name: "env check",
  summary: "validate an environment's configuration (no secret is ever printed)",
  help: `Usage: lh-ci env check [--env staging] [--env-file FILE] [--json]

Validates DATABASE_URL, REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, CLERK_SECRET_KEY,
STRIPE_SECRET_KEY, OPENAI_API_KEY, API_URL and WEB_URL, and what the compose stack requires:
POSTGRES_USER/PASSWORD/DB (agreeing with DATABASE_URL), GRAFANA_ADMIN_USER/PASSWORD and
ALERTMANAGER_CRITICAL/WARNING_WEBHOOK_URL. The placeholders of .env.staging.example
("change-me" passwords, "replace" keys and webhooks) are refused. Outside production, live Stripe
and Clerk keys and production databases are refused. DATABASE_URL is read as the PostgreSQL
clients read it (percent-decoded); query parameters that redirect the connection (host, hostaddr,
port, dbname, user, service...) are refused. Prints one line per problem as "NAME: what is wrong and what to do".
Exit 0 when valid, 2 when not.`,
  async run({ values, out, envName, loadConfig }) {
    out.info(`Checking the configuration of ${envName}...`);
    try {
      const loaded = loadConfig();
      const source = loaded.file ?? "the process environment only";
      if (values.json) {
        out.result(JSON.stringify({ env: envName, valid: true, source, problems: [], warnings: loaded.warnings }));
      } else {
        for (const warning of loaded.warnings) out.warn(`${warning.variable}: ${warning.message}`);
        out.result(`${envName}: configuration is valid (read from ${source})`);
      }
      return ExitCode.ok;
    } catch (error) {
      if (!(error instanceof ConfigError) || !values.json) throw error;
      out.result(JSON.stringify({ env: envName, valid: false, problems: error.problems, warnings: [] }));
      for (const problem of error.problems) out.error(`${problem.variable}: ${problem.message}`);
      return ExitCode.usage;
    }
  },
};
