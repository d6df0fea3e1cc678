import { describe, expect, it } from 'vitest';
import { vrfIdOf } from './space.ts';

/** Found by test/reliability/bad-cycle.test.ts on real NetBox: `vrf_id=x` made NetBox answer 400 for the whole read. */
describe('vrfIdOf', () => {
  it('reads only whole-number VRF ids; anything else reads as the global table', () => {
    expect(vrfIdOf({ vrf: { id: 7 } })).toBe(7);
    expect(vrfIdOf({ vrf: null })).toBe(null);
    expect(vrfIdOf({ vrf: { id: 'x' } } as unknown as { vrf: { id: number } })).toBe(null);
    expect(vrfIdOf({ vrf: { id: 1.5 } })).toBe(null);
    expect(vrfIdOf({ vrf: 'blue' } as unknown as { vrf: null })).toBe(null);
  });
});
