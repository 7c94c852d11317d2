/** Types of generate.mjs for the TypeScript parts of the benchmark. */
export function generate(
  dir: string,
  tenants?: number,
  options?: { features?: boolean },
): { tenants: number; rules: number; approvals: number; expectations: number };
