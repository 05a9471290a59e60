import { findUnstorableCharacter, storableRecordOf } from '../../../src/domain/common/storable-text';

describe('findUnstorableCharacter', () => {
  it('accepts any well-formed Unicode text, surrogate pairs included', () => {
    for (const text of ['', 'plain', 'ключ-é', 'emoji 🔑 and 𝔘', '\u{10FFFF}', '\uFFFD', 'tab\tnew\nline\u0001']) {
      expect(findUnstorableCharacter(text)).toBeUndefined();
    }
  });

  it('finds NUL and lone surrogates at their offset', () => {
    expect(findUnstorableCharacter('ab\u0000c')).toEqual({ offset: 2, reason: 'contains a NUL character (U+0000)' });
    expect(findUnstorableCharacter('x\uD83D')).toMatchObject({ offset: 1, reason: expect.stringContaining('U+D83D') });
    expect(findUnstorableCharacter('x\uDC00y')).toMatchObject({ offset: 1, reason: expect.stringContaining('U+DC00') });
    // A low surrogate after a complete pair is lone too.
    expect(findUnstorableCharacter('🔑\uDD11')).toMatchObject({ offset: 2 });
    // Reversed pair: both halves are lone; the first is reported.
    expect(findUnstorableCharacter('\uDD11\uD83D')).toMatchObject({ offset: 0 });
  });
});

describe('storableRecordOf', () => {
  it('writes NUL and lone surrogates as escapes, keeps everything else, and cuts long text without splitting a pair', () => {
    expect(storableRecordOf('x\uDBFF\u0000y🔑\uDC00', 100)).toBe('x\\uDBFF\\u0000y🔑\\uDC00');
    expect(findUnstorableCharacter(storableRecordOf('\uD800'.repeat(50), 40))).toBeUndefined();
    expect(storableRecordOf('abcdef', 4)).toBe('abc…');
    expect(storableRecordOf('ab🔑cd', 4)).toBe('ab…');
    expect(storableRecordOf('plain', 5)).toBe('plain');
  });
});
