import { describe, expect, it } from 'vitest';
import { createLogger, logLevelOf } from './log.ts';

/** A bad LOG_LEVEL is a clear one-line error naming the variable (found by test/reliability/bad-config.test.ts). */
describe('log level', () => {
  it('takes the option, else LOG_LEVEL, else info; empty counts as unset', () => {
    expect(logLevelOf('debug', { LOG_LEVEL: 'error' })).toBe('debug');
    expect(logLevelOf(undefined, { LOG_LEVEL: 'error' })).toBe('error');
    expect(logLevelOf('', { LOG_LEVEL: '' })).toBe('info');
  });

  it('refuses an unknown level with a clear, bounded message', () => {
    expect(() => logLevelOf(undefined, { LOG_LEVEL: 'garbage' })).toThrow(
      'LOG_LEVEL "garbage" is not one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(() => logLevelOf('x'.repeat(100_000), {})).toThrow(/^log level "x{39}…" is not one of/);
    expect(() => createLogger({ level: 'loud' })).toThrow('log level "loud" is not one of');
  });
});
