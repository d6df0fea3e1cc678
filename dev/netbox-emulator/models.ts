/**
 * The NetBox models the emulator serves: writable fields with NetBox's constraints (lengths, patterns, choices,
 * defaults, uniqueness), and identity (object type, names used in messages, UI path, brief fields).
 */
import { EXTRAS_MODELS } from './models-extras.ts';
import { IPAM_MODELS } from './models-ipam.ts';
import type { ModelSpec } from './model-fields.ts';
import type { Endpoint } from './types.ts';

export type { FieldKind, FieldSpec, ModelSpec } from './model-fields.ts';

export const MODELS: Record<Endpoint, ModelSpec> = { ...IPAM_MODELS, ...EXTRAS_MODELS };

export function modelFor(endpoint: Endpoint): ModelSpec {
  return MODELS[endpoint];
}

export function modelByObjectType(objectType: string): ModelSpec | undefined {
  return Object.values(MODELS).find(m => m.objectType === objectType);
}
