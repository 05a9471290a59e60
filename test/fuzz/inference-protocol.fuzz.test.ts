import fc from 'fast-check';
import { createPrismaClient } from '../../src/infra/db/prisma-client';
import {
  CLIENT_FAULT_CODES,
  FUZZ_TEST_TIMEOUT_MS,
  fuzzParameters,
  hostileJson,
  hostileNumber,
  hostileString,
  rowCounts,
  startFuzzTarget,
  type FuzzTarget,
} from '../support/fuzz';
import { trainVersions } from '../support/trained-version';

/** 90 rows of two numeric features and a categorical one, with a binary label. */
function tableCsv(withColor: boolean): string {
  const colors = ['red', 'green', 'blue'];
  const lines = [withColor ? 'x,y,color,label' : 'x,y,label'];
  for (let i = 0; i < 90; i += 1) {
    const x = ((i * 37) % 100) / 10;
    const y = ((i * 53) % 100) / 20;
    const color = colors[i % 3];
    const label = x + (withColor && color === 'red' ? 2 : 0) > 5 ? 'yes' : 'no';
    lines.push(withColor ? `${x},${y},${color},${label}` : `${x},${y},${label}`);
  }
  return `${lines.join('\n')}\n`;
}

const DATATYPES = ['FP64', 'FP32', 'INT64', 'INT8', 'UINT64', 'BYTES', 'BOOL', 'fp64', ''];
const datatype = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...DATATYPES) }, { weight: 1, arbitrary: hostileString });
const featureName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('x', 'y', 'color') },
  { weight: 1, arbitrary: fc.constantFrom('label', 'input-0') },
  { weight: 1, arbitrary: hostileString },
);
const dimension = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }) },
  { weight: 1, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(1_001, 2 ** 53, -1, 1.5) },
);
const value = fc.oneof(hostileNumber, hostileString, fc.constantFrom('red', 'green', 'blue', null, 1, 2.5), hostileJson);

/** A tensor of the right shape for its data (rows x columns, flat or nested), or with any shape at all. */
const tensor = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ name: featureName, datatype, rows: fc.integer({ min: 1, max: 4 }), columns: fc.constantFrom(1, 2, 3), nested: fc.boolean() })
      .chain(({ name, datatype: type, rows, columns, nested }) =>
        fc.array(value, { minLength: rows * columns, maxLength: rows * columns }).map((data) => ({
          name,
          datatype: type,
          shape: columns === 1 ? [rows] : [rows, columns],
          data: nested && columns > 1 ? Array.from({ length: rows }, (_, r) => data.slice(r * columns, (r + 1) * columns)) : data,
        })),
      ),
  },
  { weight: 2, arbitrary: fc.record({ name: featureName, shape: fc.array(dimension, { maxLength: 3 }), datatype, data: fc.array(value, { maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ name: featureName, shape: hostileJson, datatype: hostileJson, data: hostileJson }, { requiredKeys: [] }) },
);

/** Numbers a model takes (mostly), or any hostile one. */
const featureNumber = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: hostileNumber },
);
const category = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('red', 'green', 'blue', 'purple', null) }, { weight: 1, arbitrary: hostileString });

/** One [rows, 2] FP64 tensor in feature order (the numeric deployment's form), of plausible values. */
const numericTensor = fc
  .integer({ min: 1, max: 4 })
  .chain((rows) =>
    fc.array(featureNumber, { minLength: rows * 2, maxLength: rows * 2 }).map((data) => [{ name: 'input-0', shape: [rows, 2], datatype: 'FP64', data }]),
  );

/** Named inputs of one row count, all features or some: requests that often pass. */
const namedInputs = fc.record({ rows: fc.integer({ min: 1, max: 3 }), withColor: fc.boolean() }).chain(({ rows, withColor }) =>
  fc
    .record({
      x: fc.array(featureNumber, { minLength: rows, maxLength: rows }),
      y: fc.array(featureNumber, { minLength: rows, maxLength: rows }),
      color: fc.array(category, { minLength: rows, maxLength: rows }),
    })
    .map((columns) =>
      Object.entries(columns)
        .filter(([name]) => withColor || name !== 'color')
        .map(([name, data]) => ({ name, shape: [rows], datatype: name === 'color' ? 'BYTES' : 'FP64', data })),
    ),
);

const outputName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('label', 'probabilities', 'prediction_id', 'value') },
  { weight: 1, arbitrary: hostileString },
);

/** A body whose envelope is mostly right (so that values reach the model's checks), with hostile parts now and then. */
const body = fc.record(
  {
    id: fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString }, { weight: 1, arbitrary: hostileJson }),
    inputs: fc.oneof(
      { weight: 4, arbitrary: namedInputs },
      { weight: 3, arbitrary: numericTensor },
      { weight: 3, arbitrary: fc.array(tensor, { maxLength: 4 }) },
      { weight: 1, arbitrary: hostileJson },
    ),
    outputs: fc.oneof({ weight: 4, arbitrary: fc.array(fc.record({ name: outputName }), { maxLength: 3 }) }, { weight: 1, arbitrary: hostileJson }),
    parameters: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer())), hostileJson),
  },
  { requiredKeys: ['inputs'] },
);

/** Text JSON.stringify never writes: overflowing numbers, deep nesting, truncation, a BOM, duplicate keys. */
const rawText = fc.oneof(
  body.map((value) => JSON.stringify(value)),
  body.map((value) => JSON.stringify(value).replace(/(?<=[:[,])-?\d+(\.\d+)?(?=[,\]}])/, '1e999')),
  body.map((value) => JSON.stringify(value).replace(/(?<=[:[,])-?\d+(\.\d+)?(?=[,\]}])/, '-1e999')),
  fc.tuple(body, fc.nat()).map(([value, cut]) => {
    const text = JSON.stringify(value);
    return text.slice(0, cut % (text.length + 1));
  }),
  fc
    .integer({ min: 30, max: 100_000 })
    .map((depth) => `{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":${'['.repeat(depth)}1${']'.repeat(depth)}}]}`),
  fc.constantFrom(
    '',
    'null',
    '[]',
    '"inputs"',
    '\uFEFF{"inputs":[]}',
    '{"inputs":[],"inputs":[{}]}',
    '{"__proto__":{"inputs":[]}}',
    '{"inputs":[{"name":"x","shape":[1e308,0],"datatype":"FP64","data":[]}]}',
  ),
);

const request = fc.record({
  deployment: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('numeric', 'mixed') },
    { weight: 1, arbitrary: fc.constantFrom('missing', '%2e%2e', 'numeric%00', 'a'.repeat(300)) },
  ),
  text: fc.oneof({ weight: 3, arbitrary: body.map((value) => JSON.stringify(value)) }, { weight: 2, arbitrary: rawText }),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded') },
  ),
  requestKey: fc.option(
    fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }).filter((text) => text.trim() === text && text !== '') },
      { weight: 1, arbitrary: fc.constantFrom('', 'k'.repeat(201)) },
    ),
    { nil: undefined, freq: 2 },
  ),
});

/** Text of a JavaScript stack frame or a file path from the server's tree. */
const STACK_TEXT = /\n\s+at .+:\d+:\d+|\/src\/\S+\.(ts|js):\d+|node_modules\//;

/**
 * Arbitrary `/v2/models/{deployment}/infer` bodies (structured tensors with hostile values, and
 * raw text: overflowing numbers, deep nesting, truncation) against two deployed models, with an
 * EDITOR key: every answer is JSON, never a 500 nor a stack trace; an error is `{ error, code }`
 * with a client-fault code; a refusal changes no row; an accepted request logs one prediction per
 * row it answers.
 */
describe('fuzzing Open Inference Protocol infer bodies against deployed models', () => {
  let target: FuzzTarget;
  let key: string;

  beforeAll(async () => {
    target = await startFuzzTarget();
    const prisma = createPrismaClient(target.db.url, 2);
    const services = target.server.services;
    for (const [name, withColor] of [
      ['numeric', false],
      ['mixed', true],
    ] as const) {
      const trained = await trainVersions(prisma, services, { name, csv: tableCsv(withColor), labelColumn: 'label', seeds: [1], epochs: 2 });
      await services.deployments.deployModel({ name, modelVersionId: trained.versionIds[0] }, 'test');
    }
    await prisma.$disconnect();
    key = await target.server.createKey('fuzz-editor', 'EDITOR');
  }, 180_000);
  afterAll(() => target.close());

  it(
    'answers with { error, code } client faults only, and logs predictions only for accepted requests',
    async () => {
      const { server, counter } = target;
      await fc.assert(
        fc.asyncProperty(request, async ({ deployment, text, contentType, requestKey }) => {
          const before = await rowCounts(counter);
          const headers: Record<string, string> = {
            authorization: `Bearer ${key}`,
            'content-type': contentType,
            ...(requestKey === undefined ? {} : { 'x-request-key': requestKey }),
          };
          const response = await fetch(new URL(`/v2/models/${deployment}/infer`, server.origin), { method: 'POST', headers, body: text });
          const answerText = await response.text();
          if (response.status >= 500 && response.status !== 503) throw new Error(`status ${response.status}: ${answerText.slice(0, 300)}`);
          if (STACK_TEXT.test(answerText)) throw new Error(`stack trace text in ${answerText.slice(0, 500)}`);
          let answer: { error?: unknown; code?: unknown; outputs?: { name: string; data: unknown[] }[] };
          try {
            answer = JSON.parse(answerText);
          } catch {
            throw new Error(`status ${response.status}, not JSON: ${answerText.slice(0, 300)}`);
          }
          const after = await rowCounts(counter);
          if (response.status !== 200) {
            expect(typeof answer.error).toBe('string');
            if (typeof answer.code !== 'string' || !CLIENT_FAULT_CODES.has(answer.code))
              throw new Error(`code ${String(answer.code)}: ${String(answer.error).slice(0, 300)}`);
            expect(after).toEqual(before);
            return;
          }
          // Accepted: one stored prediction per answered row, whatever outputs were asked for.
          const ids = JSON.parse(text).outputs === undefined ? answer.outputs!.find((output) => output.name === 'prediction_id')!.data : undefined;
          const logged = after.predictions - before.predictions;
          expect(logged).toBeGreaterThan(0);
          if (ids) expect(logged).toBe(ids.length);
        }),
        fuzzParameters(1000),
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
