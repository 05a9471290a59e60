import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as typescriptPlugin from '@graphql-codegen/typescript';
import { buildSchema, getNamedType, isScalarType, parse, printSchema, specifiedScalarTypes, type GraphQLSchema } from 'graphql';
import ts from 'typescript';
import { schemaFile } from '../../../src/config/paths';

/** How a TypeScript client maps mlplane's custom scalars (what the README tells client developers). */
const SCALARS = {
  DateTimeISO: 'string',
  JSON: 'unknown',
  JSONObject: 'Record<string, unknown>',
};

function generate(schema: GraphQLSchema, scalars: Record<string, string>): Promise<string> {
  return codegen({
    filename: 'mlplane.ts',
    schema: parse(printSchema(schema)),
    documents: [],
    config: {},
    plugins: [{ typescript: { strictScalars: true, scalars, enumsAsTypes: true } }],
    pluginMap: { typescript: typescriptPlugin },
  });
}

/** Type errors of a TypeScript source under `strict`, compiled on its own. */
function typeErrors(source: string): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlplane-codegen-'));
  try {
    const file = path.join(dir, 'mlplane.ts');
    writeFileSync(file, source);
    const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] });
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('schema.graphql and graphql-codegen (typescript plugin, strictScalars)', () => {
  const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
  const customScalars = Object.values(schema.getTypeMap())
    .filter((type) => isScalarType(type) && !specifiedScalarTypes.some((builtIn) => builtIn.name === type.name))
    .map((type) => getNamedType(type));

  it('gives every custom scalar a @specifiedBy URL', () => {
    expect(customScalars.map((scalar) => [scalar.name, isScalarType(scalar) ? scalar.specifiedByURL : null])).toEqual(
      customScalars.map((scalar) => [scalar.name, expect.stringMatching(/^https?:\/\//)]),
    );
  });

  it('generates TypeScript types that compile under strict mode when the custom scalars are mapped', async () => {
    expect(customScalars.map((scalar) => scalar.name).sort()).toEqual(Object.keys(SCALARS).sort());
    const output = await generate(schema, SCALARS);
    expect(output).toContain('DateTimeISO: { input: string; output: string; }');
    expect(output).toMatch(/export type Node = \{/);
    expect(typeErrors(output)).toEqual([]);
  });

  it('refuses a schema whose custom scalar is not mapped (strictScalars is on)', async () => {
    await expect(generate(schema, { JSON: 'unknown', JSONObject: 'Record<string, unknown>' })).rejects.toThrow(/DateTimeISO/);
  });
});
