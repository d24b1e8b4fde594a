import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from './errors.js';
import { packageRoot } from './package-root.js';

/** A JSON Schema (draft 2020-12) object, as the committed `schemas/*.schema.json` files are written. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The committed schemas the commands validate their input against. */
export type SchemaName = 'manifest' | 'results' | 'load-results';

/** Keywords that only annotate. */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs', 'format']);
/** Keywords that constrain, and that {@link schemaErrors} checks. */
const KEYWORDS = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'minimum',
  'maximum',
]);

/** How many errors a validation collects before it stops: the first one is what a user is shown. */
const MAX_ERRORS = 20;

const cache = new Map<SchemaName, JsonSchema>();

/**
 * Reads a committed schema from the package (`schemas/<name>.schema.json`). The schemas ship next to `dist/`, so the
 * product validates against the very file `mtls-harness schema <name>` prints.
 *
 * @throws HarnessError MTLS_ERR_FILE_MISSING when the schema is missing from the installed package.
 */
export function committedSchema(name: SchemaName): JsonSchema {
  let schema = cache.get(name);
  if (!schema) {
    const file = path.join(packageRoot(), 'schemas', `${name}.schema.json`);
    try {
      schema = JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
    } catch (cause) {
      throw new HarnessError(
        'MTLS_ERR_FILE_MISSING',
        `the schema '${file}' is missing from the installed package or unreadable: reinstall mtls-harness`,
        { cause },
      );
    }
    cache.set(name, schema);
  }
  return schema;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isType(value: unknown, type: string): boolean {
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value);
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return kindOf(value) === type;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sub(value: unknown): JsonSchema {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // NOTE: a committed schema that is not a schema is a packaging bug, not bad input.
    throw new Error('malformed JSON Schema');
  }
  return value as JsonSchema;
}

/** `a.b[2].c` from path segments, for messages. */
function where(at: readonly (string | number)[]): string {
  if (at.length === 0) return '(top level)';
  return at
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$-]*$/.test(p) ? (i ? `.${p}` : p) : `['${p}']`))
    .join('');
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Validates a parsed JSON value against a schema and returns the errors as `field: problem` lines (at most a few;
 * empty when valid). Covers the keywords the committed schemas use (`$ref`, `type`, `enum`, `const`, `properties`,
 * `required`, `additionalProperties`, `items`, `anyOf`, `minimum`, `maximum`); a schema using any other constraint
 * throws, so a schema cannot grow a rule the product would silently not check.
 */
export function schemaErrors(schema: JsonSchema, value: unknown): string[] {
  const errors: string[] = [];
  check(schema, value, schema, [], errors);
  return errors;
}

function check(schema: JsonSchema, value: unknown, root: JsonSchema, at: (string | number)[], errors: string[]): void {
  if (errors.length >= MAX_ERRORS) return;
  for (const keyword of Object.keys(schema)) {
    if (!KEYWORDS.has(keyword) && !ANNOTATIONS.has(keyword)) throw new Error(`unsupported schema keyword ${keyword}`);
  }
  const field = where(at);
  if (typeof schema.$ref === 'string') {
    if (!schema.$ref.startsWith('#/')) throw new Error(`unsupported $ref ${schema.$ref}`);
    let target: unknown = root;
    for (const part of schema.$ref.slice(2).split('/')) target = sub(target)[part];
    check(sub(target), value, root, at, errors);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => isType(value, t))) {
      errors.push(`${field}: expected ${types.join(' or ')}, got ${kindOf(value)}`);
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => same(e, value)))
    errors.push(`${field}: ${show(value)} is not one of ${schema.enum.map(show).join(', ')}`);
  if ('const' in schema && !same(schema.const, value))
    errors.push(`${field}: expected ${show(schema.const)}, got ${show(value)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      errors.push(`${field}: ${value} is below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      errors.push(`${field}: ${value} is above ${schema.maximum}`);
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf.map((s) => {
      const e: string[] = [];
      check(sub(s), value, root, at, e);
      return e;
    });
    if (!branches.some((e) => e.length === 0)) {
      // NOTE: name the problem of the branch that got furthest (a null-or-object field given a bad object says
      // what is wrong in the object, not "not null").
      const best = branches.reduce((a, b) => (b.length > 0 && (a.length === 0 || deepest(b) > deepest(a)) ? b : a));
      errors.push(...(best.length ? best : [`${field}: matches none of the allowed forms`]));
    }
  }
  if (kindOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, unknown>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!Object.hasOwn(object, key)) errors.push(`${where([...at, key])}: required, missing`);
    }
    for (const [key, child] of Object.entries(object)) {
      const known = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (known !== undefined) check(sub(known), child, root, [...at, key], errors);
      else if (schema.additionalProperties === false) errors.push(`${where([...at, key])}: unknown field`);
      else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null)
        check(sub(schema.additionalProperties), child, root, [...at, key], errors);
      if (errors.length >= MAX_ERRORS) return;
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    for (let i = 0; i < value.length && errors.length < MAX_ERRORS; i++)
      check(sub(schema.items), value[i], root, [...at, i], errors);
  }
}

function deepest(errors: readonly string[]): number {
  return Math.max(...errors.map((e) => e.split(':')[0]!.length));
}
