import type { Dispatcher } from "undici";

/** What a health endpoint or the Pushgateway may send back; anything larger is not an answer. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Why a body could not be read whole: too large, or the connection ended before it did. */
export class BodyProblem extends Error {
  override name = "BodyProblem";
}

/**
 * Reads a response body, never more than `limitBytes` and never past `signal`: a larger body, a
 * body cut short by a closed connection (undici checks the Content-Length and chunk framing) or
 * an abort is an error, and the connection is dropped at once rather than drained.
 */
export async function readBoundedBody(
  response: Dispatcher.ResponseData,
  signal: AbortSignal,
  limitBytes = BODY_LIMIT_BYTES,
): Promise<string> {
  const body = response.body;
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) {
    body.destroy();
    throw new BodyProblem(`the body is ${declared} bytes, over the ${limitBytes / 1024} KiB limit`);
  }
  const stop = () => body.destroy(signal.reason);
  signal.addEventListener("abort", stop, { once: true });
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      total += (chunk as Buffer).length;
      if (total > limitBytes) {
        body.destroy();
        throw new BodyProblem(`the body is over the ${limitBytes / 1024} KiB limit`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof BodyProblem || signal.aborted) throw error;
    throw new BodyProblem(`the body was cut short (${(error as Error).message})`);
  } finally {
    signal.removeEventListener("abort", stop);
  }
  return Buffer.concat(chunks).toString("utf8");
}
