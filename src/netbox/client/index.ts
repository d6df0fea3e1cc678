export { NetBoxClient } from './client.ts';
export type { IpAddressUpdate, IpRangeUpdate, PrefixUpdate } from './client.ts';
export { NetBoxApi } from './api.ts';
export type { CreateOptions, Identified, WriteOptions } from './api.ts';
export { describeItem, endpointPath } from './paths.ts';
export { loadToken, NetBoxToken } from './auth.ts';
export type { TokenScheme } from './auth.ts';
export { DEFAULTS } from './options.ts';
export type { NetBoxClientOptions } from './options.ts';
export type { BulkFailure, BulkOutcome, BulkResult, Recheck } from './bulk.ts';
export { parseNetBoxVersion, SELECTIONS } from './capabilities.ts';
export type { FieldSelection, NetBoxVersion } from './capabilities.ts';
export type { NetBoxStats } from './transport.ts';
export {
  NetBoxAuthError,
  NetBoxConfigError,
  NetBoxConflictError,
  NetBoxError,
  NetBoxIncompleteListError,
  NetBoxNotFoundError,
  NetBoxProtocolError,
  NetBoxRequestError,
  NetBoxUnavailableError,
  NetBoxValidationError,
  describeFieldErrors,
} from './errors.ts';
export type {
  NbBulkErrorEntry,
  NbFieldErrors,
  NetBoxErrorKind,
  NetBoxRequestContext,
  UnavailableReason,
} from './errors.ts';
