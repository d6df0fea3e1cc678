import { createHash } from 'node:crypto';
import { canonicalJson } from '../../model/values.ts';

/** The spec-hash annotation: sha256 (hex) of the canonical JSON of a spec. */
export function specHash(spec: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(spec ?? null))
    .digest('hex');
}
