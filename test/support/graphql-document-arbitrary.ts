import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { hostileJson, hostileNumber, hostileString } from './fuzz';

/**
 * Arbitrary GraphQL requests built from a schema: root fields with their arguments given inline or
 * through variables (declared with the argument's type, or a wrong one), values of the right shape
 * with hostile leaves or of the wrong type, nested selections with aliases, inline fragments and
 * named fragments, now and then a corrupted document. Mutations have one root field, so an error
 * answer means nothing ran.
 *
 * The document is a function of a tape of choices and pools of hostile values, which fast-check
 * generates and shrinks; the builder below only reads them.
 */
export interface GraphQLRequest {
  query: string;
  variables: Record<string, unknown>;
  operation: 'query' | 'mutation' | 'subscription';
}

interface Pools {
  choices: number[];
  strings: string[];
  numbers: number[];
  json: unknown[];
}

/** Marks an enum value in a literal, which prints without quotes. */
class EnumLiteral {
  constructor(readonly name: string) {}
}

class Tape {
  private position = 0;
  private stringAt = 0;
  private numberAt = 0;
  private jsonAt = 0;
  constructor(
    private readonly pools: Pools,
    private readonly known: readonly string[],
  ) {}

  /** A choice in [0, n). */
  pick(n: number): number {
    const choice = this.pools.choices[this.position % this.pools.choices.length];
    this.position += 1;
    return choice % n;
  }
  chance(oneIn: number): boolean {
    return this.pick(oneIn) === 0;
  }
  string(): string {
    if (this.known.length > 0 && this.chance(3)) return this.known[this.pick(this.known.length)];
    return this.pools.strings[this.stringAt++ % this.pools.strings.length];
  }
  /** Mostly the id or name of a real entity, so that more inputs get past the lookups. */
  id(): string {
    return this.known.length > 0 && !this.chance(4) ? this.known[this.pick(this.known.length)] : this.string();
  }
  number(): number {
    return this.pools.numbers[this.numberAt++ % this.pools.numbers.length];
  }
  json(): unknown {
    return this.pools.json[this.jsonAt++ % this.pools.json.length];
  }
}

function isName(text: string): boolean {
  return /^[_A-Za-z][_0-9A-Za-z]*$/.test(text);
}

/** A GraphQL literal for a JSON-ish value (strings escape as JSON does, which GraphQL accepts). */
function printLiteral(value: unknown): string {
  if (value instanceof EnumLiteral) return value.name;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(printLiteral).join(', ')}]`;
  // Keys that are not GraphQL names cannot be written inline; they are left out.
  const fields = Object.entries(value as Record<string, unknown>)
    .filter(([key]) => isName(key))
    .map(([key, item]) => `${key}: ${printLiteral(item)}`);
  return `{${fields.join(', ')}}`;
}

/** Variables carry enums as their names. */
function toVariable(value: unknown): unknown {
  if (value instanceof EnumLiteral) return value.name;
  if (Array.isArray(value)) return value.map(toVariable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toVariable(v)]));
  return value;
}

function scalarValue(name: string, tape: Tape): unknown {
  if (tape.chance(25)) return tape.json();
  switch (name) {
    case 'Int':
      return tape.chance(2) ? tape.pick(200) - 20 : Math.trunc(tape.number());
    case 'Float':
      return tape.chance(2) ? tape.pick(100) / 100 : tape.number();
    case 'Boolean':
      return tape.chance(2);
    case 'DateTimeISO':
      return tape.chance(2) ? new Date(Date.UTC(2026, 0, 1 + tape.pick(400))).toISOString() : tape.string();
    case 'JSON':
    case 'JSONObject':
      return tape.json();
    case 'ID':
      return tape.id();
    default:
      return tape.string();
  }
}

function inputValue(type: GraphQLInputType, tape: Tape, depth: number): unknown {
  if (isNonNullType(type)) return tape.chance(40) ? null : inputValue(type.ofType, tape, depth);
  if (tape.chance(12)) return null;
  if (isListType(type)) {
    if (tape.chance(8)) return inputValue(type.ofType, tape, depth + 1);
    const length = depth > 3 ? 0 : tape.pick(4);
    return Array.from({ length }, () => inputValue(type.ofType, tape, depth + 1));
  }
  if (isEnumType(type)) {
    const values = type.getValues();
    return tape.chance(25) ? new EnumLiteral(isName(tape.string()) ? tape.string() : 'NOT_A_VALUE') : new EnumLiteral(values[tape.pick(values.length)].name);
  }
  if (isInputObjectType(type)) {
    if (depth > 4 || tape.chance(40)) return tape.json();
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required ? !tape.chance(40) : tape.chance(3)) value[field.name] = inputValue(field.type, tape, depth + 1);
    }
    if (tape.chance(40)) value.unknownField = tape.json();
    return value;
  }
  return scalarValue(type.name, tape);
}

/** Prints a type reference (`[Int!]!`). */
function typeName(type: GraphQLInputType): string {
  return String(type);
}

interface Builder {
  tape: Tape;
  schema: GraphQLSchema;
  variables: Record<string, unknown>;
  declarations: string[];
  fragments: string[];
}

function argumentsFor(args: readonly GraphQLArgument[], builder: Builder): string {
  const { tape } = builder;
  const given: string[] = [];
  for (const arg of args) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    if (!(required ? !tape.chance(40) : tape.chance(2))) continue;
    const value = inputValue(arg.type, tape, 0);
    const mode = tape.pick(20);
    if (mode < 12) {
      const name = `v${builder.declarations.length}`;
      // Now and then a declared type that does not match the argument (a validation error).
      const declared = tape.chance(30) ? (tape.chance(2) ? 'String' : '[Int!]!') : typeName(arg.type);
      builder.declarations.push(`$${name}: ${declared}`);
      if (!tape.chance(30)) builder.variables[name] = toVariable(value);
      given.push(`${arg.name}: $${name}`);
    } else if (mode < 19) {
      given.push(`${arg.name}: ${printLiteral(value)}`);
    } else {
      given.push(`${arg.name}: ${printLiteral(tape.json())}`);
    }
  }
  if (tape.chance(150)) given.push(`unknownArgument: ${printLiteral(tape.json())}`);
  return given.length > 0 ? `(${given.join(', ')})` : '';
}

function selectionSet(type: GraphQLOutputType, builder: Builder, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return builder.tape.chance(60) ? ' { id }' : '';
  return ` { ${selections(named, builder, depth).join(' ')} }`;
}

function fieldSelection(field: GraphQLField<unknown, unknown>, builder: Builder, depth: number): string {
  const { tape } = builder;
  const alias = tape.chance(5) ? `${tape.chance(10) ? 'same' : `a${tape.pick(1000)}`}: ` : '';
  return `${alias}${field.name}${argumentsFor(field.args, builder)}${selectionSet(field.type, builder, depth + 1)}`;
}

function selections(type: GraphQLNamedType, builder: Builder, depth: number): string[] {
  const { tape } = builder;
  const out: string[] = [];
  if (isUnionType(type) || isInterfaceType(type)) {
    out.push('__typename');
    const possible = builder.schema.getPossibleTypes(type);
    const target = possible[tape.pick(possible.length)];
    out.push(`... on ${target.name} { ${selections(target, builder, depth).join(' ')} }`);
    return out;
  }
  if (!isObjectType(type)) return ['__typename'];
  const fields = Object.values(type.getFields());
  const leaves = fields.filter((field) => isLeafType(getNamedType(field.type)));
  const count = depth > 5 ? 1 : 1 + tape.pick(3);
  for (let i = 0; i < count; i += 1) {
    const pool = depth > 5 && leaves.length > 0 ? leaves : fields;
    const field = pool[tape.pick(pool.length)];
    const kind = tape.pick(12);
    if (kind === 0) {
      out.push(`... on ${type.name} { ${fieldSelection(field, builder, depth)} }`);
    } else if (kind === 1) {
      const slot = builder.fragments.push('') - 1;
      const name = `F${slot}`;
      builder.fragments[slot] = `fragment ${name} on ${tape.chance(80) ? 'Query' : type.name} { ${fieldSelection(field, builder, depth)} }`;
      out.push(`...${name}`);
    } else if (kind === 2) {
      out.push('__typename');
    } else {
      out.push(fieldSelection(field, builder, depth));
    }
  }
  return out;
}

function buildRequest(schema: GraphQLSchema, pools: Pools, known: readonly string[]): GraphQLRequest {
  const tape = new Tape(pools, known);
  const builder: Builder = { tape, schema, variables: {}, declarations: [], fragments: [] };
  const roll = tape.pick(20);
  const operation = roll < 11 ? 'query' : roll < 19 ? 'mutation' : 'subscription';
  const root = operation === 'query' ? schema.getQueryType()! : operation === 'mutation' ? schema.getMutationType()! : schema.getSubscriptionType()!;
  const fields = Object.values(root.getFields());
  const rootCount = operation === 'query' ? 1 + tape.pick(2) : 1;
  const rootSelections: string[] = [];
  for (let i = 0; i < rootCount; i += 1) rootSelections.push(fieldSelection(fields[tape.pick(fields.length)], builder, 0));
  const header = builder.declarations.length > 0 ? `(${builder.declarations.join(', ')})` : '';
  let query = `${operation} Fuzz${header} { ${rootSelections.join(' ')} }\n${builder.fragments.join('\n')}`;
  if (tape.chance(30)) {
    const cut = tape.pick(query.length);
    query = tape.chance(2) ? query.slice(0, cut) : `${query.slice(0, cut)}${tape.string()}${query.slice(cut)}`;
  }
  return { query, variables: builder.variables, operation };
}

const poolsArbitrary: fc.Arbitrary<Pools> = fc.record({
  choices: fc.array(fc.nat(), { minLength: 16, maxLength: 160 }),
  strings: fc.array(hostileString, { minLength: 1, maxLength: 8 }),
  numbers: fc.array(hostileNumber, { minLength: 1, maxLength: 8 }),
  json: fc.array(hostileJson, { minLength: 1, maxLength: 4 }),
});

/** Requests against `schema`; `known` are ids and names of real entities, used now and then as strings. */
export function graphqlRequestArbitrary(schema: GraphQLSchema, known: readonly string[] = []): fc.Arbitrary<GraphQLRequest> {
  return poolsArbitrary.map((pools) => buildRequest(schema, pools, known));
}

/**
 * Values for a variable of input type `typeName` (e.g. `CreateModelInput!`) as JSON: mostly of the
 * right shape with hostile leaves, now and then of the wrong type; ids mostly from `known`.
 */
export function inputValueArbitrary(schema: GraphQLSchema, typeName: string, known: readonly string[] = []): fc.Arbitrary<unknown> {
  const named = schema.getType(typeName.replace(/!$/, ''));
  if (!named || !isInputObjectType(named)) throw new Error(`${typeName} is not an input object type`);
  return poolsArbitrary.map((pools) => toVariable(inputValue(named, new Tape(pools, known), 0)));
}
