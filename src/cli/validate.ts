import type { z } from "zod";
import { InputError } from "../errors.ts";

/** Validates parsed flags with a zod schema; every problem becomes one line naming the flag. */
export function validateFlags<T extends z.ZodType>(schema: T, values: unknown): z.infer<T> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const kebab = (key: PropertyKey) => `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const lines = result.error.issues.map((i) => (i.path.length ? `${kebab(i.path[0]!)}: ${i.message}` : i.message));
  throw new InputError(lines.join("\n"));
}
