import { Writable } from "node:stream";
import { Output } from "../../../src/output/output.ts";

/** An Output whose stdout and stderr are kept in memory, to assert what a command printed. */
export function capturedOutput(): { out: Output; stdout: () => string; stderr: () => string } {
  const chunks = { stdout: [] as string[], stderr: [] as string[] };
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  const out = new Output(sink(chunks.stdout), sink(chunks.stderr));
  return { out, stdout: () => chunks.stdout.join(""), stderr: () => chunks.stderr.join("") };
}
