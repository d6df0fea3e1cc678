import { describe, expect, it } from 'vitest';
import { redisProblem } from './queue.ts';

describe('redisProblem: why /readyz says Redis is unreachable', () => {
  it('names the connection error behind a ping that timed out (a wrong password)', () => {
    const text = redisProblem(new Error('no answer within 2 s'), 'WRONGPASS invalid username-password pair');
    expect(text).toBe('Redis unreachable: no answer within 2 s (WRONGPASS invalid username-password pair)');
  });

  it('says it once when the ping failed with that very error, and nothing more without one', () => {
    expect(redisProblem(new Error('connect ECONNREFUSED'), 'connect ECONNREFUSED')).toBe(
      'Redis unreachable: connect ECONNREFUSED',
    );
    expect(redisProblem(new Error('no answer within 2 s'), undefined)).toBe('Redis unreachable: no answer within 2 s');
  });
});
