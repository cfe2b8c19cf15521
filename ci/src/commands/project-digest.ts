import { resolve } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, OperationError } from "../cli/exit-codes.ts";
import { DigestTooLarge, projectDigest as digestOf } from "../stack/project-digest.ts";
import { PROJECT_FOLDERS } from "../stack/settings.ts";

/** `lh-ci project digest DIR`: what deploy compares before copying the project files again. */
export const projectDigest: Command = {
  name: "project digest",
  summary: "print one sha256 over compose/ and monitoring/ under DIR (paths, modes, contents)",
  help: `Usage: lh-ci project digest DIR

Prints one sha256 over ${PROJECT_FOLDERS.join("/ and ")}/ under DIR: every entry's path, type and
permission bits, each file's content and each link's target (links are not followed). lh-ci
deploy asks for it in the ops container, which sees the project directory on the engine's host,
and copies the folders there only when it differs from the digest of the local ones.`,
  positionals: [1, 1],
  async run({ positionals, out, cwd }) {
    try {
      out.result(digestOf(resolve(cwd, positionals[0] ?? ""), PROJECT_FOLDERS));
    } catch (error) {
      if (error instanceof DigestTooLarge) throw new OperationError(`project digest: ${error.message}`);
      throw error;
    }
    return ExitCode.ok;
  },
};
