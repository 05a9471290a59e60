import fs from 'node:fs';
import path from 'node:path';
import { contentHash } from '../../../src/domain/datasets/content-hash';

describe('contentHash', () => {
  // Expected values from coreutils: printf '<bytes>' | sha256sum, and sha256sum test/fixtures/iris.csv.
  it('is the sha256 hex of the UTF-8 bytes as sent', () => {
    expect(contentHash('a,b\n1,2\n')).toBe('492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470');
    expect(contentHash('x,caf\u00e9\n1,2\n')).toBe('afb3c5ac5ea7464ae27b24f6e1e8cd622f4eebef36c3cf46e8dfea8193600b60');
    const iris = fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'iris.csv'), 'utf8');
    expect(contentHash(iris)).toBe('d32f10723d055c863a7e257d933706ec4fb6e9ec60e9567f68e377bbc6ca9da9');
  });

  it('does not normalize: CRLF and a BOM give other hashes than the same table with LF', () => {
    expect(contentHash('a,b\r\n1,2\r\n')).toBe('ea14f99c47575613ab22111122c847728c61007f6bfd7b062d02fcb99df3feb0');
    expect(contentHash('\uFEFFa,b\n1,2\n')).toBe('4baf8d035fbc583379d998ac9ed3d18276d308ee43cf945ee88d0c54cca33992');
  });

  it('is idempotent: identical content, identical hash', () => {
    const text = 'a,b\n1,2\n';
    expect(contentHash(text)).toBe(contentHash(`a,b\n1,2\n`));
  });
});
