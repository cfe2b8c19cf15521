/**
 * What the target engine already holds, asked before anything is sent: its image IDs and the
 * layer chains of its images. `docker load` (the classic image store) looks each layer of an
 * archive up by its chain ID before it opens the layer's file, so a layer whose chain the engine
 * has need not be in the archive at all. Engines on containerd's image store load differently:
 * for them nothing is left out.
 */
import { createHash } from "node:crypto";
import * as docker from "./docker.ts";
import type { Executor } from "./executor.ts";

export interface EngineLayers {
  /** Image IDs (`sha256:...` of the config) the engine has. */
  imageIds: Set<string>;
  /** Chain IDs of every layer prefix of every image. */
  chainIds: Set<string>;
  /** False on the containerd image store: then every layer is sent. */
  skipsKnownLayers: boolean;
}

/** The OCI chain IDs of a layer stack: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const chains: string[] = [];
  for (const diffId of diffIds) {
    const parent = chains.at(-1);
    chains.push(
      parent === undefined ? diffId : `sha256:${createHash("sha256").update(`${parent} ${diffId}`).digest("hex")}`,
    );
  }
  return chains;
}

/** Parses `<id> <json diff IDs>` lines of docker.inspectImageLayers. */
export function parseImageLayers(output: string): { id: string; layers: string[] }[] {
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const space = line.indexOf(" ");
      const layers = JSON.parse(line.slice(space + 1)) as string[] | null;
      return { id: line.slice(0, space), layers: layers ?? [] };
    });
}

/** Whether `docker info`'s DriverStatus names containerd's snapshotter (the containerd image store). */
export function usesContainerdStore(driverStatusJson: string): boolean {
  return driverStatusJson.includes("io.containerd.snapshotter");
}

/** Asks the engine (three read-only calls) which images and layer chains it holds. */
export async function engineLayers(exec: Executor): Promise<EngineLayers> {
  const quiet = { show: "none" } as const;
  const [status, listed] = await Promise.all([
    exec.run(docker.storageDriverStatus(), quiet),
    exec.run(docker.listImageIds(), quiet),
  ]);
  const ids = [
    ...new Set(
      listed.stdout
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    ),
  ];
  const imageIds = new Set(ids);
  const chains = new Set<string>();
  if (ids.length > 0) {
    // An image removed since the list only leaves its line out (and makes the exit code 1).
    const inspected = await exec.attempt(docker.inspectImageLayers(ids), quiet);
    for (const image of parseImageLayers(inspected.stdout)) {
      for (const chain of chainIds(image.layers)) chains.add(chain);
    }
  }
  return { imageIds, chainIds: chains, skipsKnownLayers: !usesContainerdStore(status.stdout) };
}
