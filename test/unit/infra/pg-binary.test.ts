import { BinaryWriter, binaryArray, PG_OID } from '../../../src/infra/db/pg-binary';

/** Every field kind, in turn, into `writer`. */
function writeAll(writer: BinaryWriter): Buffer {
  writer
    .int16(10)
    .uuid('0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b')
    .uuid('{0190A4B27C3D7E8F9A0B1C2D3E4F5A6B}')
    .text('ключ-🔑-é'.repeat(40))
    .int4(-2_147_483_648)
    .jsonb('{"a":"ü"}')
    .null()
    .bytea(new Uint8Array([0, 1, 254, 255]))
    .float8(-0.1)
    .timestamptzMs(Date.UTC(2026, 11, 7, 9, 0, 0, 123));
  return Buffer.from(writer.toBuffer());
}

describe('pg binary formats', () => {
  it('writes the same bytes whatever its first buffer size (growing mid-field keeps what was written)', () => {
    const reference = writeAll(new BinaryWriter(1 << 16));
    for (const initial of [1, 2, 7, 19, 64]) expect(writeAll(new BinaryWriter(initial)).equals(reference)).toBe(true);
  });

  it('writes each field as PostgreSQL sends it', () => {
    const bytes = (write: (writer: BinaryWriter) => void) => {
      const writer = new BinaryWriter(1);
      write(writer);
      return writer.toBuffer().toString('hex');
    };
    expect(bytes((w) => w.uuid('0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b'))).toBe('00000010' + '0190a4b27c3d7e8f9a0b1c2d3e4f5a6b');
    expect(bytes((w) => w.text('é'))).toBe('00000002c3a9');
    expect(bytes((w) => w.jsonb('{}'))).toBe('00000003017b7d');
    expect(bytes((w) => w.int4(-2))).toBe('00000004fffffffe');
    expect(bytes((w) => w.float8(1))).toBe('000000083ff0000000000000');
    expect(bytes((w) => w.null())).toBe('ffffffff');
    // 2000-01-01T00:00:00.001Z: 1000 microseconds after PostgreSQL's epoch.
    expect(bytes((w) => w.timestamptzMs(946_684_800_001))).toBe('00000008' + '00000000000003e8');
    expect(bytes((w) => w.timestamptzMs(0))).toBe(
      '00000008' +
        Buffer.from(new BigInt64Array([-946_684_800_000_000n]).buffer)
          .reverse()
          .toString('hex'),
    );
  });

  it('writes the canonical uuid form, in either case, and the other forms uuid_in takes, as the same 16 bytes', () => {
    const bytes = (text: string) => new BinaryWriter(1).uuid(text).toBuffer().toString('hex');
    const expected = '00000010' + '0190a4b27c3d7e8f9a0b1c2d3e4f5a6b';
    for (const text of [
      '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b',
      '0190A4B2-7C3D-7E8F-9A0B-1C2D3E4F5A6B',
      '0190a4b27c3d7e8f9a0b1c2d3e4f5a6b',
      '{0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b}',
      '0190-a4b2-7c3d-7e8f-9a0b-1c2d-3e4f-5a6b',
    ])
      expect(bytes(text)).toBe(expected);
  });

  it('refuses what the text input functions refuse', () => {
    const writer = new BinaryWriter();
    for (const bad of [
      '',
      'not-a-uuid',
      '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6',
      '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6bb',
      '-0190a4b27c3d7e8f9a0b1c2d3e4f5a6b',
      'g190a4b27c3d7e8f9a0b1c2d3e4f5a6b',
      // 36 characters, as the canonical form, but not it:
      'g190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b',
      '0190a4b2-7c3d-7e8f-9a0b_1c2d3e4f5a6b',
      '0190a4b27-c3d-7e8f-9a0b-1c2d3e4f5a6b',
      '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6 ',
    ]) {
      expect(() => writer.uuid(bad)).toThrow(/uuid/);
    }
    for (const bad of [1.5, Number.NaN, 2 ** 31, -(2 ** 31) - 1]) expect(() => writer.int4(bad)).toThrow(/integer/);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) expect(() => writer.timestamptzMs(bad)).toThrow(/timestamp/);
  });

  it("writes arrays in array_recv's format, flagging nulls", () => {
    const ints = binaryArray(PG_OID.int4, 2, (w, i) => w.int4(i + 1), 1);
    expect(ints.toString('hex')).toBe('00000001' + '00000000' + '00000017' + '00000002' + '00000001' + '0000000400000001' + '0000000400000002');
    const withNull = binaryArray(PG_OID.text, 2, (w, i) => (i === 0 ? w.null() : w.text('')), 1);
    expect(withNull.toString('hex')).toBe('00000001' + '00000001' + '00000019' + '00000002' + '00000001' + 'ffffffff' + '00000000');
    expect(binaryArray(PG_OID.uuid, 0, () => {}).toString('hex')).toBe('00000000' + '00000000' + '00000b86');
  });
});
