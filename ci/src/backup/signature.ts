import { createHmac, timingSafeEqual } from "node:crypto";
import { OperationError } from "../cli/exit-codes.ts";
import type { BackupMetadata } from "./sidecar.ts";
import type { SigningKey } from "./signing-key.ts";

const PREFIX = "hmac-sha256:";

/**
 * A sidecar's signature: an HMAC-SHA256, keyed with BACKUP_SIGNING_KEY, of every other field of the
 * sidecar. It covers the file through the sidecar's sha256 and size (which the restore checks over
 * the bytes it loads), and also the environment, database and row counts, so none of them can be
 * edited; and it is checked before the operator is asked, without reading the dump.
 */
export function signMetadata(metadata: BackupMetadata, key: string): string {
  const { signature: _ignored, ...signed } = metadata;
  return `${PREFIX}${createHmac("sha256", key).update(canonicalJson(signed)).digest("hex")}`;
}

/** JSON with object keys sorted at every level: the same bytes whatever order the sidecar was written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export type SignatureCheck = "valid" | "unsigned, allowed by --allow-unsigned";

/**
 * A backup must carry a valid signature made with this environment's key (signing-key.ts) unless
 * the operator passes --allow-unsigned (a dump made by hand). Without a key nothing can be proven,
 * so that is refused too.
 */
export function checkSignature(
  metadata: BackupMetadata,
  key: SigningKey | undefined,
  allowUnsigned: boolean,
): SignatureCheck {
  const valid = key !== undefined && signatureMatches(metadata, key.key);
  if (valid) return "valid";
  if (allowUnsigned) return "unsigned, allowed by --allow-unsigned";
  if (!key) {
    throw new OperationError(
      `there is no signing key for this environment to check ${metadata.file} with (neither BACKUP_SIGNING_KEY nor the key file in the state directory): on another host, set BACKUP_SIGNING_KEY to the exported key (docs/runbook.md), or pass --allow-unsigned if you trust this file (nothing was changed)`,
    );
  }
  throw new OperationError(
    metadata.signature === undefined
      ? `${metadata.file} is not signed: only backups taken by lh-ci backup with this environment's key (${key.source}) are restored. For a dump you made yourself and trust, pass --allow-unsigned (nothing was changed)`
      : `${metadata.file}'s signature does not match the signing key (${key.source}): the backup or its sidecar was changed, or it was signed with another key. Use a backup taken with this key, or pass --allow-unsigned if you trust this file (nothing was changed)`,
  );
}

function signatureMatches(metadata: BackupMetadata, key: string): boolean {
  const expected = Buffer.from(signMetadata(metadata, key));
  const actual = Buffer.from(metadata.signature ?? "");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
