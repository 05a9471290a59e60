import fc from 'fast-check';
import { csvDocument } from '../support/csv-arbitrary';
import {
  addChanges,
  CONCURRENT_CASES,
  FUZZ_TEST_TIMEOUT_MS,
  FuzzTally,
  fuzzParameters,
  hostileString,
  postChecked,
  propertyViolation,
  refused,
  RowChanges,
  startFuzzTarget,
  type FuzzTarget,
} from '../support/fuzz';
import { withDefaultKey } from '../support/graphql-client';

const CREATE_DATASET = 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { dataset { id task } version { id rowCount columnCount } } }';

const input = csvDocument.chain(({ header, csv }) =>
  fc.record(
    {
      name: fc.oneof({ weight: 6, arbitrary: fc.constant('ds') }, { weight: 1, arbitrary: fc.constant('ds-2') }, { weight: 2, arbitrary: hostileString }),
      csv: fc.oneof({ weight: 8, arbitrary: fc.constant(csv) }, { weight: 1, arbitrary: hostileString }),
      // Mostly the last column (the label of column-wise files), so that many files get to be stored.
      labelColumn: fc.oneof(
        { weight: 4, arbitrary: fc.constant(header[header.length - 1]) },
        { weight: 2, arbitrary: fc.constantFrom(...header) },
        { weight: 1, arbitrary: hostileString },
      ),
      task: fc.constantFrom('BINARY_CLASSIFICATION', 'MULTICLASS_CLASSIFICATION', 'REGRESSION'),
      columnTypes: fc.array(
        fc.record({
          column: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...header) }, { weight: 1, arbitrary: hostileString }),
          type: fc.constantFrom('NUMERIC', 'CATEGORICAL'),
        }),
        { maxLength: 3 },
      ),
      description: fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 30 }) }, { weight: 1, arbitrary: hostileString }),
    },
    // task, columnTypes and description are left out of about half the inputs each.
    { requiredKeys: ['name', 'csv', 'labelColumn'] },
  ),
);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Besides every table's rows: the sum of the versions' column counts, which a stored version moves as much as its column rows. */
const COLUMN_COUNTS = { 'sum(column_count)': 'SELECT coalesce(sum(column_count), 0)::int FROM dataset_versions' };

/** What a stored version adds: a dataset when it is the first, the version, its data, and one row per column. */
function storedVersion(columns: number, newDataset: boolean): Record<string, number> {
  return {
    ...(newDataset ? { datasets: 1 } : {}),
    dataset_versions: 1,
    dataset_version_data: 1,
    ...(columns > 0 ? { dataset_version_columns: columns, 'sum(column_count)': columns } : {}),
  };
}

/**
 * Arbitrary CSV files (ragged rows, quotes, BOMs, line endings, hostile cells and names, numeric
 * columns turning to text) sent over HTTP, through createDataset and streamed to the upload route
 * (declared or chunked): coded errors only; a refused file stores nothing; an accepted one becomes
 * exactly one dataset version, with its data and one row per column.
 */
describe('fuzzing CSV files', () => {
  let target: FuzzTarget;
  let serial = 0;
  /** Most names are fresh, so that most files get past the name check. */
  const named = <T extends { name: string }>(fields: T): T => (fields.name === 'ds' ? { ...fields, name: `ds-${(serial += 1)}` } : fields);

  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(() => target.close());

  it(
    'through createDataset: coded GraphQL errors only, and exactly the accepted files stored',
    async () => {
      const tally = new FuzzTally('createDataset');
      const rows = new RowChanges(target.counter, COLUMN_COUNTS);
      await fc.assert(
        fc.asyncProperty(fc.array(input, { minLength: CONCURRENT_CASES, maxLength: CONCURRENT_CASES }), async (cases) => {
          const { result: responses, changed } = await rows.around(() =>
            Promise.all(cases.map((fields) => postChecked(target.server.url, { query: CREATE_DATASET, variables: { input: named(fields) } }))),
          );
          for (const response of responses) tally.note(response.body.errors);
          expect(changed).toEqual(
            addChanges(responses.map((response) => (refused(response) ? {} : storedVersion(response.body.data!.createDataset.version.columnCount, true)))),
          );
        }),
        fuzzParameters(2000 / CONCURRENT_CASES),
      );
      tally.report(0.03);
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  it(
    'streamed to POST /datasets/{name}/versions: coded errors only, and exactly the accepted files stored',
    async () => {
      const tally = new FuzzTally('upload route');
      const upload = fc.record({
        name: fc.oneof({ weight: 6, arbitrary: fc.constant('ds') }, { weight: 1, arbitrary: hostileString }),
        file: csvDocument,
        labelColumn: fc.option(fc.oneof({ weight: 4, arbitrary: fc.constant('label') }, { weight: 1, arbitrary: hostileString }), { nil: undefined }),
        task: fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('BINARY_CLASSIFICATION', 'MULTICLASS_CLASSIFICATION', 'REGRESSION') },
          { weight: 1, arbitrary: hostileString },
        ),
        contentType: fc.oneof(
          { weight: 9, arbitrary: fc.constant('text/csv') },
          { weight: 1, arbitrary: fc.constantFrom('text/csv; charset=utf-8', 'application/json', '') },
        ),
        chunked: fc.boolean(),
      });
      const rows = new RowChanges(target.counter, COLUMN_COUNTS);
      /** Sends one file; returns what it should have changed. */
      const send = async (fields: typeof upload extends fc.Arbitrary<infer T> ? T : never): Promise<Record<string, number>> => {
        const { name, file, labelColumn, task, contentType, chunked } = named(fields);
        const query = new URLSearchParams({
          ...(labelColumn === undefined ? {} : { labelColumn: labelColumn === 'label' ? file.header[file.header.length - 1] : labelColumn }),
          ...(task === undefined ? {} : { task }),
        });
        // A URL carries UTF-8: a lone surrogate goes as U+FFFD, as a client would send it.
        const url = `${target.server.origin}/datasets/${encodeURIComponent(name.replace(LONE_SURROGATE, '\uFFFD'))}/versions?${query}`;
        const bytes = Buffer.from(file.csv, 'utf8');
        const response = await fetch(url, {
          method: 'POST',
          headers: withDefaultKey(url, { 'content-type': contentType }),
          // A stream has no Content-Length: it goes chunked.
          body: chunked ? new Blob([bytes]).stream() : bytes,
          ...(chunked ? { duplex: 'half' } : {}),
        });
        const text = await response.text();
        if (response.status === 431 || ['', '.', '..'].includes(name)) {
          // Refused before the route: Node's HTTP server takes no request line over its 16 KiB header
          // limit (a 70,000-character name), and an empty, '.' or '..' path segment makes a path of
          // no route (404).
          expect(response.status).toBe(response.status === 431 ? 431 : 404);
          tally.note([{ extensions: { code: `HTTP ${response.status}` } }]);
          return {};
        }
        const body = JSON.parse(text) as {
          errors?: { message: string; extensions?: { code?: string } }[];
          created?: boolean;
          version?: { version: number; id: string };
        };
        const violation = propertyViolation({ status: response.status, body });
        if (violation) throw new Error(violation);
        tally.note(body.errors);
        if (body.errors || body.created === false) return {};
        const { columnCount } = (
          await target.counter.query<{ columnCount: number }>('SELECT column_count AS "columnCount" FROM dataset_versions WHERE id = $1', [body.version!.id])
        ).rows[0];
        // Version 1 is a new dataset; a later one is added to the dataset of that name.
        return storedVersion(columnCount, body.version!.version === 1);
      };
      await fc.assert(
        fc.asyncProperty(fc.array(upload, { minLength: CONCURRENT_CASES, maxLength: CONCURRENT_CASES }), async (cases) => {
          const { result: expected, changed } = await rows.around(() => Promise.all(cases.map(send)));
          expect(changed).toEqual(addChanges(expected));
        }),
        fuzzParameters(2000 / CONCURRENT_CASES),
      );
      tally.report(0.03);
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
