import fc from 'fast-check';
import { csvDocument } from '../support/csv-arbitrary';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, hostileString, postChecked, refused, rowCounts, startFuzzTarget, type FuzzTarget } from '../support/fuzz';

const CREATE_DATASET = `mutation($input: CreateDatasetInput!) {
  createDataset(input: $input) { dataset { id task labelColumn } version { id rowCount columnCount labelClasses columns { name type role } } }
}`;

const input = csvDocument.chain(({ header, csv }) =>
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
