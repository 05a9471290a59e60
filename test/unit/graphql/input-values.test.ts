import { createPubSub } from '@graphql-yoga/subscription';
import type { GraphQLObjectType, GraphQLResolveInfo } from 'graphql';
import { ValidationError } from '../../../src/domain/errors';
import { checkArgumentValues, MAX_INPUT_DEPTH, MAX_INPUT_STRING_LENGTH } from '../../../src/graphql/input-values';
import { buildMlplaneSchema } from '../../../src/graphql/schema';

/** The walk every GraphQL argument passes (`input-values.ts`), on `predict`'s arguments: which fields it refuses. */
describe('GraphQL argument values', () => {
  let info: GraphQLResolveInfo;

  beforeAll(async () => {
    const schema = await buildMlplaneSchema({ pubSub: createPubSub() });
    info = { parentType: schema.getMutationType() as GraphQLObjectType, fieldName: 'predict' } as GraphQLResolveInfo;
  });

  function refusedFields(input: unknown): string[] {
    try {
      checkArgumentValues({ input }, info);
    } catch (error) {
      if (error instanceof ValidationError) return error.violations.map((violation) => violation.field ?? '');
      throw error;
    }
    return [];
  }

  const row = (i: number) => ({ a: i, b: -i / 3, c: 'text', d: null, e: true });

  it('passes a large valid request, numbers, text, null and booleans', () => {
    expect(refusedFields({ deployment: 'd', instances: Array.from({ length: 1000 }, (_, i) => row(i)) })).toEqual([]);
  });

  it('names each bad value and key by its path, however deep, every time a key repeats', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_INPUT_DEPTH + 2; i++) deep = { deep };
    const instances = [
      row(0),
      { ...row(1), b: Number.POSITIVE_INFINITY },
      { ...row(2), c: 'x\u0000' },
      { ...row(3), ['k\uD800']: 1 },
      { ...row(4), ['k\uD800']: 2, nested: [[1, Number.NaN]] },
      { ...row(5), c: 'y'.repeat(MAX_INPUT_STRING_LENGTH + 1) },
      { ...row(6), deep },
    ];
    expect(refusedFields({ deployment: 'd', instances, requestKey: 'r\u0000' })).toEqual([
      'input.instances[1].b',
      'input.instances[2].c',
      'input.instances[3].k\uD800',
      'input.instances[4].k\uD800',
      'input.instances[4].nested[0][1]',
      'input.instances[5].c',
      `input.instances[6]${'.deep'.repeat(MAX_INPUT_DEPTH - 2)}`,
      'input.requestKey',
    ]);
  });
});
