import fc from 'fast-check';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, hostileNumber, hostileString, postChecked, refused, rowCounts, startFuzzTarget, type FuzzTarget } from '../support/fuzz';

const CREATE_DATASET = `mutation($input: CreateDatasetInput!) {
  createDataset(input: $input) { dataset { id task labelColumn } version { id rowCount columnCount labelClasses columns { name type role } } }
}`;

/** A cell as a CSV writer might produce it, or as a broken one would. */
const cell = fc.oneof(
  { weight: 6, arbitrary: hostileNumber.map(String) },
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c', '', 'NA', 'null', 'true', ' 1 ', '1,5', '1e3', '-', '0x10', 'Infinity') },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: hostileString.map((text) => `"${text.replace(/"/g, '""')}"`) },
  { weight: 1, arbitrary: fc.constantFrom('"unterminated', 'a"b', '"a""', '"\n"', '"x",y') },
);

const headerName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('x', 'y', 'z', 'label', 'color', 'x') }, { weight: 1, arbitrary: hostileString });

/** CSV text: a header, rows of cells (some ragged), any line ending, sometimes a BOM or blank lines. */
const csvFile = fc
  .record({
    header: fc.array(headerName, { minLength: 1, maxLength: 5 }),
    rows: fc.array(fc.array(cell, { minLength: 0, maxLength: 6 }), { maxLength: 25 }),
    regular: fc.boolean(),
    newline: fc.constantFrom('\n', '\r\n', '\r'),
    bom: fc.boolean(),
    blankLines: fc.boolean(),
  })
  .map(({ header, rows, regular, newline, bom, blankLines }) => {
    const body = rows.map((cells) => (regular ? header.map((_, i) => cells[i] ?? '1') : cells).join(','));
    const lines = [header.join(','), ...body];
    if (blankLines) lines.splice(1 + Math.floor(lines.length / 2), 0, '');
    return { header, csv: `${bom ? '\uFEFF' : ''}${lines.join(newline)}${newline}` };
  });

const input = csvFile.chain(({ header, csv }) =>
  fc.record(
    {
      name: fc.oneof(fc.constantFrom('ds', 'ds-2'), hostileString),
      csv: fc.oneof({ weight: 8, arbitrary: fc.constant(csv) }, { weight: 1, arbitrary: hostileString }),
      labelColumn: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...header) }, { weight: 1, arbitrary: hostileString }),
      task: fc.constantFrom('BINARY_CLASSIFICATION', 'MULTICLASS_CLASSIFICATION', 'REGRESSION'),
      columnTypes: fc.array(fc.record({ column: fc.oneof(fc.constantFrom(...header), hostileString), type: fc.constantFrom('NUMERIC', 'CATEGORICAL') }), { maxLength: 3 }),
      description: hostileString,
    },
    { requiredKeys: ['name', 'csv', 'labelColumn'] },
  ),
);

/**
 * Arbitrary CSV files (ragged rows, quotes, BOMs, line endings, hostile cells and names) through
 * createDataset over HTTP: coded GraphQL errors only, a refusal stores nothing, and an accepted
 * file becomes exactly one dataset with one version.
 */
describe('fuzzing CSV files through createDataset', () => {
  let target: FuzzTarget;

  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(() => target.close());

  it('answers with coded GraphQL errors only, and stores a dataset only when it answers with one', async () => {
    const { server, counter } = target;
    let serial = 0;
    await fc.assert(
      fc.asyncProperty(input, async (fields) => {
        // Most names are fresh, so that most files get past the name check.
        const name = fields.name === 'ds' ? `ds-${(serial += 1)}` : fields.name;
        const before = await rowCounts(counter);
        const response = await postChecked(server.url, { query: CREATE_DATASET, variables: { input: { ...fields, name } } });
        const after = await rowCounts(counter);
        if (refused(response)) {
          expect(after).toEqual(before);
        } else {
          expect([after.datasets - before.datasets, after.dataset_versions - before.dataset_versions]).toEqual([1, 1]);
        }
      }),
      fuzzParameters(1000),
    );
  }, FUZZ_TEST_TIMEOUT_MS);
});
