/**
 * Just enough of the tar format for image archives: an index of a tar file's regular entries
 * (name, where its data starts, how long it is) read from the headers alone, and the header and
 * padding of an entry written out. An image archive is hundreds of MiB: its data is read only
 * where it is needed, by offset, never unpacked.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const BLOCK = 512;

export interface TarEntry {
  name: string;
  /** Byte offset of the entry's data in the file. */
  offset: number;
  size: number;
}

/** A tar file that is truncated or not a tar file: the message names the file and what is wrong. */
export class TarError extends Error {
  override name = "TarError";
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString("utf8");
}

function octal(block: Buffer, start: number, length: number): number {
  // GNU base-256 for sizes of 8 GiB and more: the first byte's high bit is set.
  if ((block[start] ?? 0) & 0x80) {
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (block[i] ?? 0);
    return value;
  }
  const digits = text(block, start, length).trim();
  return digits === "" ? 0 : Number.parseInt(digits, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return sum === octal(block, 148, 8);
}

/** The `path` of a pax extended header's records (`<length> path=<value>\n`), if it sets one. */
function paxPath(data: Buffer): string | undefined {
  let rest = data.toString("utf8");
  while (rest.length > 0) {
    const space = rest.indexOf(" ");
    const length = Number.parseInt(rest.slice(0, space), 10);
    if (!(length > 0)) return undefined;
    const record = rest.slice(space + 1, length - 1);
    if (record.startsWith("path=")) return record.slice("path=".length);
    rest = rest.slice(length);
  }
  return undefined;
}

/** Every regular file of the tar file at `path`, by name; directories and links are left out. */
export function indexTar(path: string): Map<string, TarEntry> {
  const entries = new Map<string, TarEntry>();
  const fd = openSync(path, "r");
  try {
    const fileSize = fstatSync(fd).size;
    const block = Buffer.alloc(BLOCK);
    let position = 0;
    let longName: string | undefined;
    for (;;) {
      if (position + BLOCK > fileSize)
        throw new TarError(`${path} is truncated: it ends without the end-of-archive marker`);
      readSync(fd, block, 0, BLOCK, position);
      if (block.every((byte) => byte === 0)) return entries;
      if (!checksumOk(block))
        throw new TarError(`${path} is not a valid tar file: bad header checksum at byte ${position}`);
      const size = octal(block, 124, 12);
      const type = String.fromCharCode(block[156] ?? 0);
      const prefix = text(block, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
      const dataAt = position + BLOCK;
      if (dataAt + size > fileSize) {
        throw new TarError(
          `${path} is truncated: ${name} needs ${size} bytes, the file ends ${fileSize - dataAt} bytes in`,
        );
      }
      longName = undefined;
      if (type === "x" || type === "L") {
        const data = Buffer.alloc(size);
        readSync(fd, data, 0, size, dataAt);
        longName = type === "L" ? text(data, 0, size) : paxPath(data);
      } else if (type === "0" || type === "\0") {
        entries.set(name.replace(/^\.\//, ""), { name, offset: dataAt, size });
      }
      position = dataAt + Math.ceil(size / BLOCK) * BLOCK;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads one whole entry (a manifest, a config: small files). */
export function readEntry(path: string, entry: TarEntry): Buffer {
  const fd = openSync(path, "r");
  try {
    const data = Buffer.alloc(entry.size);
    readSync(fd, data, 0, entry.size, entry.offset);
    return data;
  } finally {
    closeSync(fd);
  }
}

function writeField(block: Buffer, value: string, start: number, length: number): void {
  block.write(value.slice(0, length), start, length, "utf8");
}

function writeOctal(block: Buffer, value: number, start: number, length: number): void {
  writeField(block, `${value.toString(8).padStart(length - 1, "0")}\0`, start, length);
}

/** The ustar header of a regular file (names up to 100 bytes: ours are digests, well under). */
export function tarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new TarError(`tar entry name longer than 100 bytes: ${name}`);
  if (size >= 8 ** 11) throw new TarError(`tar entry ${name} is 8 GiB or more, which this writer does not support`);
  const block = Buffer.alloc(BLOCK);
  writeField(block, name, 0, 100);
  writeOctal(block, 0o644, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, 0, 136, 12);
  block.fill(32, 148, 156);
  block[156] = "0".charCodeAt(0);
  writeField(block, "ustar\0", 257, 6);
  writeField(block, "00", 263, 2);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeField(block, `${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return block;
}

/** Zeros that fill an entry of `size` bytes up to its last block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
