/**
 * The environments the pipeline deploys to. An enum, so that `--env staging` is validated by the
 * Dagger CLI. Not named `Env`: that is a core Dagger type. Member names equal their values so that
 * the CLI spelling and the value the code sees are the same word.
 */
export enum Environment {
  staging = "staging",
}
