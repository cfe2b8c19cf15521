/**
 * Messages that teach an operator what to type, kept free of Dagger imports so that a test can
 * check every option and local-default key they name against the module's real arguments.
 */

/** No --env-file given: the flag, the CI form and the local default (.env next to dagger.json). */
export function missingConfiguration(env: string): string {
  return `the ${env} configuration is missing: pass --env-file file://.env.${env} (or env://NAME in CI), or set ENVFILE=file://.env.${env} in the .env file next to dagger.json (Dagger's local defaults: the key is the argument's name, any case, no underscores added)`;
}

/** --docker-host without a key. */
export const MISSING_SSH_KEY =
  "--docker-host needs --ssh-key (e.g. --ssh-key file://$HOME/.ssh/id_ed25519 or env://STAGING_SSH_KEY)";

export function unknownService(service: string, services: readonly string[]): string {
  return `--service: "${service}" is not one of ${services.join(", ")}`;
}
