import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { dumpEdgeProblem } from "../../src/backup/dump-edges.ts";
import { formatBytes } from "../../src/backup/format.ts";
import { backupFileName, parseBackupName } from "../../src/backup/naming.ts";
import { Progress } from "../../src/backup/progress.ts";
import { UsageError } from "../../src/cli/exit-codes.ts";
import { confirmRestore } from "../../src/restore/confirm.ts";

describe("backup names", () => {
  it("round-trips the UTC timestamp and rejects near misses", () => {
    const at = new Date("2026-11-25T10:15:00.789Z");
    expect(backupFileName("staging", at, false)).toBe("lawyers_hub_staging_20261125T101500Z.sql");
    expect(parseBackupName("lawyers_hub_staging_20261125T101500Z.sql.gz")).toMatchObject({
      envName: "staging",
      gzip: true,
      takenAt: new Date("2026-11-25T10:15:00Z"),
    });
    expect(backupFileName("staging", at, true, 2)).toBe("lawyers_hub_staging_20261125T101500Z-2.sql.gz");
    expect(parseBackupName("lawyers_hub_staging_20261125T101500Z-12.sql")).toMatchObject({ sequence: 12, gzip: false });
    expect(parseBackupName("lawyers_hub_staging_20261125T101500Z.sql")).toMatchObject({ sequence: 1 });
    for (const name of [
      "lawyers_hub_staging_20261125T101500Z-1.sql",
      "lawyers_hub_staging_20261125T101500Z-02.sql",
      "lawyers_hub_staging_20261125T101500Z-1000.sql",
      "lawyers_hub_staging_20261325T101500Z.sql",
      "lawyers_hub_staging_20261125T101500Z.sql.json",
      "lawyers_hub_staging_20261125T101500.sql",
      "lawyers_hub__20261125T101500Z.sql",
    ]) {
      expect(parseBackupName(name)).toBeUndefined();
    }
  });
});

describe("dump completeness", () => {
  const head = "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n";
  it("accepts pg_dump's ending and catches truncation", () => {
    expect(
      dumpEdgeProblem(head, "x\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n"),
    ).toBeUndefined();
    expect(dumpEdgeProblem(head, "COPY public.users (id) FROM stdin;\n1\n")).toMatch(/completion marker is missing/);
    expect(dumpEdgeProblem(head, "\n-- PostgreSQL database dump complete\n--\n\n")).toMatch(/unrestrict/);
    expect(dumpEdgeProblem(head, "\n-- PostgreSQL database dump complete\n--\nDROP TABLE x;\n")).toMatch(/after/);
    expect(dumpEdgeProblem("SELECT 1;", "")).toMatch(/does not start like a plain-format pg_dump/);
  });
});

describe("progress", () => {
  it("stays silent for short work, then reports at most once per interval", () => {
    let now = 0;
    const lines: string[] = [];
    const progress = new Progress(
      (line) => lines.push(line),
      "written",
      1000,
      () => now,
    );
    progress.update(10);
    now = 999;
    progress.update(20);
    expect(lines).toEqual([]);
    now = 1000;
    progress.update(2 * 1024 * 1024);
    now = 1500;
    progress.update(3 * 1024 * 1024);
    expect(lines).toEqual(["written 2.0 MB..."]);
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MB");
  });
});

describe("restore confirmation on a terminal", () => {
  function terminal(answer: string) {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const prompt = new PassThrough();
    setImmediate(() => stdin.write(`${answer}\n`));
    return { stdin, prompt };
  }

  it("goes on when the environment name is typed", async () => {
    const { stdin, prompt } = terminal("staging");
    await expect(
      confirmRestore({ envName: "staging", question: "Sure?", yes: false, stdin, prompt }),
    ).resolves.toBeUndefined();
  });

  it("cancels on any other answer, and without a terminal unless --yes", async () => {
    const { stdin, prompt } = terminal("yes");
    await expect(confirmRestore({ envName: "staging", question: "Sure?", yes: false, stdin, prompt })).rejects.toThrow(
      /restore cancelled: "yes" is not "staging"/,
    );
    const pipe = new PassThrough();
    await expect(
      confirmRestore({ envName: "staging", question: "?", yes: false, stdin: pipe, prompt }),
    ).rejects.toBeInstanceOf(UsageError);
    await expect(
      confirmRestore({ envName: "staging", question: "?", yes: true, stdin: pipe, prompt }),
    ).resolves.toBeUndefined();
  });
});
