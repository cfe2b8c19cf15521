/**
 * Which release's ops image runs lh-ci in the stack for commands that are not a deploy: the one
 * given with --release, else the release the project's containers run now.
 */
import { UsageError } from "../cli/exit-codes.ts";
import { releaseOption } from "./release-option.ts";
import type { Stack } from "./stack.ts";

export async function opsRelease(stack: Stack, given: unknown): Promise<string> {
  if (given !== undefined) return releaseOption(given);
  const running = await stack.runningRelease();
  if (running) return running;
  throw new UsageError(
    `nothing of project ${stack.settings.project.name} runs on this engine, so there is no ops image to use; pass --release SHA (a release whose images are on the engine)`,
  );
}
