/**
 * The containers of the code checks, built from their recipes (recipes.ts): the base image, the
 * caches, the set-up steps (tools, dependencies from the manifests, then the source, so that
 * installs cache), the services under their host names, and the optional extra CA certificates.
 */
import { type Container, type Directory, dag, type Secret } from "@dagger.io/dagger";
import { type CheckRecipe, MANIFESTS, type SetupStep } from "./recipes.ts";

/** The secret inputs a check container may get (extra CA certificates). */
export interface CheckInputs {
  source: Directory;
  extraCa?: Secret;
}

function withStep(container: Container, step: SetupStep, source: Directory, workdir: string): Container {
  switch (step.kind) {
    case "file":
      return container.withNewFile(step.path, step.contents, { permissions: step.permissions });
    case "exec":
      return container.withExec([...step.args]);
    case "manifests":
      return container.withDirectory(workdir, source, { include: [...MANIFESTS] });
    case "source":
      return container.withDirectory(workdir, source);
  }
}

/** The recipe's container before its command: what `dagger call test-env terminal` opens. */
export function checkContainer(recipe: CheckRecipe, inputs: CheckInputs): Container {
  let container = dag.container().from(recipe.image).withUser(recipe.user).withWorkdir(recipe.workdir);
  for (const cache of recipe.caches) container = container.withMountedCache(cache.path, dag.cacheVolume(cache.volume));
  for (const [name, value] of Object.entries(recipe.env)) container = container.withEnvVariable(name, value);
  const secrets: Partial<Record<string, Secret>> = { extraCa: inputs.extraCa };
  for (const file of recipe.optionalSecretFiles) {
    const secret = secrets[file.input];
    if (secret) container = container.withMountedSecret(file.path, secret, { owner: file.owner, mode: file.mode });
  }
  for (const [name, { input, value }] of Object.entries(recipe.optionalEnv)) {
    if (secrets[input]) container = container.withEnvVariable(name, value);
  }
  for (const step of recipe.setup) container = withStep(container, step, inputs.source, recipe.workdir);
  for (const service of recipe.services) {
    let image = dag.container().from(service.image);
    for (const [name, value] of Object.entries(service.env)) image = image.withEnvVariable(name, value);
    container = container.withServiceBinding(
      service.alias,
      image.withExposedPort(service.port).asService({ useEntrypoint: true }),
    );
  }
  return container;
}

/** The recipe's container with its command run. */
export function runCheck(recipe: CheckRecipe, inputs: CheckInputs): Container {
  return checkContainer(recipe, inputs).withExec([...recipe.command]);
}
