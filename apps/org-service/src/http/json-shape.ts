/**
 * A single pass over raw JSON bytes, before JSON.parse, counting objects/arrays and their
 * depth. It lets a body be refused on its shape without building it: a 2 MiB body of `{}` is
 * ~700k objects once parsed, and deep nesting overflows the stack of class-transformer.
 * Bytes inside strings are skipped; only ASCII is looked at, which is safe on UTF-8.
 */
export interface JsonShapeLimits {
  maxDepth: number;
  maxContainers: number;
}

export type JsonShapeProblem = { kind: 'depth'; limit: number } | { kind: 'containers'; limit: number } | null;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

export function jsonShapeProblem(buf: Uint8Array, limits: JsonShapeLimits): JsonShapeProblem {
  let depth = 0;
  let containers = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > limits.maxDepth) return { kind: 'depth', limit: limits.maxDepth };
      if (++containers > limits.maxContainers) return { kind: 'containers', limit: limits.maxContainers };
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth--;
    }
  }
  // malformed JSON (unbalanced brackets, open string) is left to JSON.parse to refuse
  return null;
}
