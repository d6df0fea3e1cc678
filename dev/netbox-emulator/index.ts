/** NetBox 4.7 emulator for tests, benchmarks and the demo. See README.md in this folder. */
export { startEmulator } from './server.ts';
export type { Emulator, EmulatorOptions, EmulatorTokens } from './server.ts';
export { authorizationHeader } from './auth.ts';
export type { TokenSpec } from './auth.ts';
export { defaultKnobs } from './knobs.ts';
export type { Knobs, StatsSnapshot } from './knobs.ts';
export { SeedError, applySeed, readSeedFile } from './seed.ts';
export type { SeedData } from './seed.ts';
export type { Store, ChangeRecord } from './store.ts';
export type { Delivery } from './webhooks.ts';
export { ENDPOINTS } from './types.ts';
export type { Endpoint, Row } from './types.ts';
