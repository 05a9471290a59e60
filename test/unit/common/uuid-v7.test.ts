import { isUuid } from '../../../src/domain/common/uuid';
import { uuidV7 } from '../../../src/domain/common/uuid-v7';

describe('uuidV7', () => {
  it('lays out the example of RFC 9562 appendix A.6 exactly', () => {
    // 2022-02-22T19:22:22.000Z = 0x017F22E279B0 ms; rand_a 0xCC3; rand_b 0x18C4DC0C0C07398F.
    const random = Uint8Array.from([0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f]);
    expect(uuidV7(Date.parse('2022-02-22T19:22:22.000Z'), random)).toBe('017f22e2-79b0-7cc3-98c4-dc0c0c07398f');
  });

  it('sets the version and variant bits whatever the random bytes are', () => {
    expect(uuidV7(0, new Uint8Array(10).fill(0xff))).toBe('00000000-0000-7fff-bfff-ffffffffffff');
    expect(uuidV7(2 ** 48 - 1, new Uint8Array(10))).toBe('ffffffff-ffff-7000-8000-000000000000');
  });

  it('sorts ids made at later milliseconds after earlier ones, and draws different random bits each time', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => uuidV7(1_700_000_000_000 + Math.floor(i / 10)));
    for (let i = 10; i < ids.length; i += 10) expect(ids[i - 1] < ids[i]).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => isUuid(id) && id[14] === '7' && '89ab'.includes(id[19]))).toBe(true);
  });

  it('refuses a time outside 48 bits and too few random bytes', () => {
    expect(() => uuidV7(-1)).toThrow(RangeError);
    expect(() => uuidV7(2 ** 48)).toThrow(RangeError);
    expect(() => uuidV7(1.5)).toThrow(RangeError);
    expect(() => uuidV7(0, new Uint8Array(9))).toThrow(RangeError);
  });
});
