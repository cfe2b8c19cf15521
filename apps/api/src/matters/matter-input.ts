import { BadRequestException } from "@nestjs/common";
import { z } from "zod";

export const newMatter = z.object({
  title: z.string().trim().min(1).max(200),
  clientName: z.string().trim().min(1).max(200),
  ownerId: z.uuid().optional(),
});

export const listQuery = z.object({
  status: z.enum(["INTAKE", "OPEN", "CLOSED"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const matterId = z.uuid();

export type NewMatter = z.infer<typeof newMatter>;
export type ListQuery = z.infer<typeof listQuery>;

/** Validates request input with zod: 400 naming every field that is wrong. */
export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "value"}: ${issue.message}`);
  throw new BadRequestException(`invalid request: ${problems.join("; ")}`);
}
