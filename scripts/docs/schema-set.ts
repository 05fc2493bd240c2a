/**
 * JSON Schema from zod: converts the protocol's zod schemas with `z.toJSONSchema` and
 * validates examples against the schema they illustrate.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };
type Io = 'input' | 'output';

/**
 * Converts zod schemas with `z.toJSONSchema` and collects the schemas that carry an
 * `id` (e.g. `Message`) as shared components, rewriting their references to `refPrefix`.
 */
export class SchemaSet {
  readonly components: Record<string, JsonSchema> = {};

  constructor(
    private readonly target: 'draft-07' | 'draft-2020-12',
    private readonly refPrefix: string,
  ) {}

  convert(schema: z.ZodType, io: Io): JsonSchema {
    const json = z.toJSONSchema(schema, { target: this.target, io, unrepresentable: 'throw' }) as JsonSchema;
    delete json['$schema'];
    const defsKey = this.target === 'draft-07' ? 'definitions' : '$defs';
    const defs = (json[defsKey] ?? {}) as Record<string, JsonSchema>;
    delete json[defsKey];
    for (const [id, def] of Object.entries(defs)) this.add(id, this.rewrite(def, defsKey) as JsonSchema);
    return this.rewrite(json, defsKey) as JsonSchema;
  }

  /** Converts `schema` into the component `name`; returns a reference to it. */
  component(name: string, schema: z.ZodType, io: Io): JsonSchema {
    const json = this.convert(schema, io);
    if (typeof json['$ref'] === 'string' && Object.keys(json).length === 1) return json;
    this.add(name, json);
    return { $ref: `${this.refPrefix}${name}` };
  }

  /** The component a `$ref` points to, or the schema itself. */
  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema['$ref'];
    if (typeof ref !== 'string') return schema;
    const target = this.components[ref.slice(this.refPrefix.length)];
    if (!target) throw new Error(`unresolved reference ${ref}`);
    return target;
  }

  private add(name: string, json: JsonSchema): void {
    const existing = this.components[name];
    if (existing && !isDeepStrictEqual(existing, json)) {
      throw new Error(`two different schemas are both named "${name}"`);
    }
    this.components[name] = json;
  }

  private rewrite(value: unknown, defsKey: string): unknown {
    if (Array.isArray(value)) return value.map((item) => this.rewrite(item, defsKey));
    if (value === null || typeof value !== 'object') return value;
    const out: JsonSchema = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        key === '$ref' && typeof item === 'string' && item.startsWith(`#/${defsKey}/`)
          ? `${this.refPrefix}${item.slice(defsKey.length + 3)}`
          : this.rewrite(item, defsKey);
    }
    return out;
  }
}

/** Parses an example with the schema it illustrates, so examples cannot drift from the schemas. */
export function example<S extends z.ZodType>(schema: S, value: z.input<S>, what: string): z.input<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`example for ${what} does not match its schema: ${parsed.error.message}`);
  return value;
}

export function descriptionOf(schema: JsonSchema): string | undefined {
  return typeof schema['description'] === 'string' ? schema['description'] : undefined;
}
