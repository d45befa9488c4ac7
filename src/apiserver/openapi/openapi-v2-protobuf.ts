/**
 * The swagger 2.0 document in the protobuf form kube-apiserver serves at /openapi/v2 for
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (what client-go's
 * discovery `OpenAPISchema()` asks for; kubectl builds its validation, explain and apply models
 * from it). The message is gnostic's `openapi.v2.Document` (google/gnostic-models,
 * openapiv2/OpenAPIv2.proto); the mapping from JSON follows gnostic's compiler
 * (openapiv2/OpenAPIv2.go), which kube-openapi's `handler.ToProtoBinary` runs on the JSON spec:
 *
 * - maps become repeated `Named*` pairs in document order (paths, definitions, properties, ...);
 * - a parameter is a `BodyParameter` or a `NonBodyParameter` variant chosen by `in`;
 * - keys starting `x-` become `vendor_extension` entries `NamedAny{name, Any{yaml}}`, and
 *   free-form values (`default`, `enum`, `example`) are `Any{yaml}` too. The YAML text is the
 *   value's JSON form (JSON is YAML), which is how kube-openapi's `VendorExtensionToMap` and
 *   cli-runtime's query-param verifier read group-version-kinds, merge keys and patch strategies.
 *
 * Field numbers are from OpenAPIv2.proto; each message's fields are written in number order.
 */
import { ProtoWriter } from './protobuf-writer.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Json | undefined => (isObj(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strs = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);

/** Encodes a swagger 2.0 document (as parsed JSON) as a gnostic `openapi.v2.Document`. */
export function encodeOpenAPIv2Protobuf(doc: Json): Buffer {
  const w = new ProtoWriter()
    .string(1, str(doc.swagger))
    .message(2, info(doc.info))
    .string(3, str(doc.host))
    .string(4, str(doc.basePath))
    .strings(5, strs(doc.schemes))
    .strings(6, strs(doc.consumes))
    .strings(7, strs(doc.produces));
  if (isObj(doc.paths)) w.message(8, paths(doc.paths));
  if (isObj(doc.definitions)) w.message(9, namedList(doc.definitions, schema));
  if (isObj(doc.parameters)) w.message(10, namedList(doc.parameters, parameter));
  if (isObj(doc.responses)) w.message(11, namedList(doc.responses, response));
  for (const s of arr(doc.security)) w.message(12, securityRequirement(s));
  if (isObj(doc.securityDefinitions)) w.message(13, namedList(doc.securityDefinitions, securityDefinition));
  for (const t of arr(doc.tags)) w.message(14, tag(t));
  w.message(15, externalDocs(doc.externalDocs));
  return extensions(w, 16, doc).finish();
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The YAML text of a free-form value (see the file comment). */
function anyYaml(value: unknown): string {
  return `${JSON.stringify(value) ?? 'null'}\n`;
}

/** openapi.v2.Any: field 2 is the YAML text. */
const any = (value: unknown): ProtoWriter | undefined => (value === undefined ? undefined : new ProtoWriter().string(2, anyYaml(value)));

/** Writes each `x-` key of `o` as a repeated NamedAny field. */
function extensions(w: ProtoWriter, field: number, o: Json): ProtoWriter {
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('x-')) w.message(field, new ProtoWriter().string(1, k).message(2, any(v)));
  }
  return w;
}

/** A map message whose field 1 repeats `Named*{1: name, 2: value}` for every non-extension key. */
function namedList(o: Json, value: (v: unknown) => ProtoWriter | undefined): ProtoWriter {
  const w = new ProtoWriter();
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) w.message(1, new ProtoWriter().string(1, k).message(2, value(v)));
  }
  return w;
}

function info(v: unknown): ProtoWriter | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const contact = obj(o.contact);
  const license = obj(o.license);
  const w = new ProtoWriter()
    .string(1, str(o.title))
    .string(2, str(o.version))
    .string(3, str(o.description))
    .string(4, str(o.termsOfService))
    .message(5, contact && extensions(new ProtoWriter().string(1, str(contact.name)).string(2, str(contact.url)).string(3, str(contact.email)), 4, contact))
    .message(6, license && extensions(new ProtoWriter().string(1, str(license.name)).string(2, str(license.url)), 3, license));
  return extensions(w, 7, o);
}

function externalDocs(v: unknown): ProtoWriter | undefined {
  const o = obj(v);
  return o && extensions(new ProtoWriter().string(1, str(o.description)).string(2, str(o.url)), 3, o);
}

function tag(v: unknown): ProtoWriter | undefined {
  const o = obj(v);
  return o && extensions(new ProtoWriter().string(1, str(o.name)).string(2, str(o.description)).message(3, externalDocs(o.externalDocs)), 4, o);
}

/** Paths: vendor extensions are field 1, `NamedPathItem`s field 2. */
function paths(o: Json): ProtoWriter {
  const w = extensions(new ProtoWriter(), 1, o);
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) w.message(2, new ProtoWriter().string(1, k).message(2, pathItem(v)));
  }
  return w;
}

const operationFields: [string, number][] = [['get', 2], ['put', 3], ['post', 4], ['delete', 5], ['options', 6], ['head', 7], ['patch', 8]];

function pathItem(v: unknown): ProtoWriter {
  const o = obj(v) ?? {};
  const w = new ProtoWriter().string(1, str(o.$ref));
  for (const [method, field] of operationFields) if (isObj(o[method])) w.message(field, operation(o[method]));
  for (const p of arr(o.parameters)) w.message(9, parametersItem(p));
  return extensions(w, 10, o);
}

function operation(o: Json): ProtoWriter {
  const w = new ProtoWriter()
    .strings(1, strs(o.tags))
    .string(2, str(o.summary))
    .string(3, str(o.description))
    .message(4, externalDocs(o.externalDocs))
    .string(5, str(o.operationId))
    .strings(6, strs(o.produces))
    .strings(7, strs(o.consumes));
  for (const p of arr(o.parameters)) w.message(8, parametersItem(p));
  if (isObj(o.responses)) w.message(9, responses(o.responses));
  w.strings(10, strs(o.schemes)).bool(11, bool(o.deprecated));
  for (const s of arr(o.security)) w.message(12, securityRequirement(s));
  return extensions(w, 13, o);
}

const jsonReference = (o: Json): ProtoWriter => new ProtoWriter().string(1, str(o.$ref)).string(2, str(o.description));

/** ParametersItem: a `$ref` is a JsonReference (2), anything else a Parameter (1). */
function parametersItem(v: unknown): ProtoWriter {
  const o = obj(v) ?? {};
  return typeof o.$ref === 'string' ? new ProtoWriter().message(2, jsonReference(o)) : new ProtoWriter().message(1, parameter(o));
}

/** Non-body parameter variants (NonBodyParameter oneof field) and where their `type` field starts. */
const nonBody: Record<string, { field: number; typeField: number }> = {
  header: { field: 1, typeField: 5 },
  formData: { field: 2, typeField: 6 },
  query: { field: 3, typeField: 6 },
  path: { field: 4, typeField: 5 },
};

function parameter(v: unknown): ProtoWriter {
  const o = obj(v) ?? {};
  if (o.in === 'body') {
    const body = new ProtoWriter()
      .string(1, str(o.description))
      .string(2, str(o.name))
      .string(3, str(o.in))
      .bool(4, bool(o.required))
      .message(5, isObj(o.schema) ? schema(o.schema) : undefined);
    return new ProtoWriter().message(1, extensions(body, 6, o));
  }
  const variant = nonBody[str(o.in) ?? ''] ?? nonBody.query!;
  const w = new ProtoWriter().bool(1, bool(o.required)).string(2, str(o.in)).string(3, str(o.description)).string(4, str(o.name));
  if (variant.typeField === 6) w.bool(5, bool(o.allowEmptyValue));
  const last = primitives(w, variant.typeField, o);
  return new ProtoWriter().message(2, new ProtoWriter().message(variant.field, extensions(w, last + 1, o)));
}

/**
 * The run of validation fields that PrimitivesItems, Header and the non-body parameters share,
 * numbered consecutively from `first` (type, format, items, collectionFormat, default, maximum,
 * exclusiveMaximum, minimum, exclusiveMinimum, maxLength, minLength, pattern, maxItems, minItems,
 * uniqueItems, enum, multipleOf). Returns the last field number used.
 */
function primitives(w: ProtoWriter, first: number, o: Json): number {
  w.string(first, str(o.type))
    .string(first + 1, str(o.format))
    .message(first + 2, isObj(o.items) ? primitivesItems(o.items) : undefined)
    .string(first + 3, str(o.collectionFormat))
    .message(first + 4, any(o.default))
    .double(first + 5, num(o.maximum))
    .bool(first + 6, bool(o.exclusiveMaximum))
    .double(first + 7, num(o.minimum))
    .bool(first + 8, bool(o.exclusiveMinimum))
    .int64(first + 9, num(o.maxLength))
    .int64(first + 10, num(o.minLength))
    .string(first + 11, str(o.pattern))
    .int64(first + 12, num(o.maxItems))
    .int64(first + 13, num(o.minItems))
    .bool(first + 14, bool(o.uniqueItems));
  for (const e of arr(o.enum)) w.message(first + 15, any(e));
  w.double(first + 16, num(o.multipleOf));
  return first + 16;
}

function primitivesItems(o: Json): ProtoWriter {
  const w = new ProtoWriter();
  return extensions(w, primitives(w, 1, o) + 1, o);
}

/** Responses: response codes are field 1 (NamedResponseValue), extensions field 2. */
function responses(o: Json): ProtoWriter {
  const w = new ProtoWriter();
  for (const [code, v] of Object.entries(o)) {
    if (code.startsWith('x-')) continue;
    const r = obj(v) ?? {};
    const value = typeof r.$ref === 'string' ? new ProtoWriter().message(2, jsonReference(r)) : new ProtoWriter().message(1, response(r));
    w.message(1, new ProtoWriter().string(1, code).message(2, value));
  }
  return extensions(w, 2, o);
}

function response(v: unknown): ProtoWriter {
  const o = obj(v) ?? {};
  const w = new ProtoWriter().string(1, str(o.description));
  const s = obj(o.schema);
  if (s) w.message(2, s.type === 'file' ? new ProtoWriter().message(2, fileSchema(s)) : new ProtoWriter().message(1, schema(s)));
  if (isObj(o.headers)) w.message(3, namedList(o.headers, header));
  if (isObj(o.examples)) {
    const ex = new ProtoWriter();
    for (const [k, e] of Object.entries(o.examples)) ex.message(1, new ProtoWriter().string(1, k).message(2, any(e)));
    w.message(4, ex);
  }
  return extensions(w, 5, o);
}

/** A response Header: the shared validation run from 1, then description 18, extensions 19. */
function header(v: unknown): ProtoWriter {
  const o = obj(v) ?? {};
  const w = new ProtoWriter();
  primitives(w, 1, o);
  return extensions(w.string(18, str(o.description)), 19, o);
}

function fileSchema(o: Json): ProtoWriter {
  const w = new ProtoWriter()
    .string(1, str(o.format))
    .string(2, str(o.title))
    .string(3, str(o.description))
    .message(4, any(o.default))
    .strings(5, strs(o.required))
    .string(6, str(o.type))
    .bool(7, bool(o.readOnly))
    .message(8, externalDocs(o.externalDocs))
    .message(9, any(o.example));
  return extensions(w, 10, o);
}

/** openapi.v2.Schema. */
function schema(v: unknown): ProtoWriter {
  const o = obj(v) ?? {};
  const w = new ProtoWriter()
    .string(1, str(o.$ref))
    .string(2, str(o.format))
    .string(3, str(o.title))
    .string(4, str(o.description))
    .message(5, any(o.default))
    .double(6, num(o.multipleOf))
    .double(7, num(o.maximum))
    .bool(8, bool(o.exclusiveMaximum))
    .double(9, num(o.minimum))
    .bool(10, bool(o.exclusiveMinimum))
    .int64(11, num(o.maxLength))
    .int64(12, num(o.minLength))
    .string(13, str(o.pattern))
    .int64(14, num(o.maxItems))
    .int64(15, num(o.minItems))
    .bool(16, bool(o.uniqueItems))
    .int64(17, num(o.maxProperties))
    .int64(18, num(o.minProperties))
    .strings(19, strs(o.required));
  for (const e of arr(o.enum)) w.message(20, any(e));
  // AdditionalPropertiesItem oneof: 1 schema, 2 boolean.
  if (typeof o.additionalProperties === 'boolean') w.message(21, new ProtoWriter().oneofBool(2, o.additionalProperties));
  else if (isObj(o.additionalProperties)) w.message(21, new ProtoWriter().message(1, schema(o.additionalProperties)));
  // TypeItem: repeated string value = 1.
  if (typeof o.type === 'string' || Array.isArray(o.type)) w.message(22, new ProtoWriter().strings(1, typeof o.type === 'string' ? [o.type] : strs(o.type)));
  // ItemsItem: repeated Schema schema = 1.
  if (isObj(o.items) || Array.isArray(o.items)) {
    const items = new ProtoWriter();
    for (const s of Array.isArray(o.items) ? o.items : [o.items]) items.message(1, schema(s));
    w.message(23, items);
  }
  for (const s of arr(o.allOf)) w.message(24, schema(s));
  if (isObj(o.properties)) w.message(25, namedList(o.properties, schema));
  w.string(26, str(o.discriminator)).bool(27, bool(o.readOnly));
  const xml = obj(o.xml);
  if (xml) {
    const x = new ProtoWriter().string(1, str(xml.name)).string(2, str(xml.namespace)).string(3, str(xml.prefix)).bool(4, bool(xml.attribute)).bool(5, bool(xml.wrapped));
    w.message(28, extensions(x, 6, xml));
  }
  w.message(29, externalDocs(o.externalDocs)).message(30, any(o.example));
  return extensions(w, 31, o);
}

/** SecurityRequirement: NamedStringArray{name, StringArray{value}} per scheme. */
function securityRequirement(v: unknown): ProtoWriter {
  const w = new ProtoWriter();
  for (const [name, scopes] of entries(v)) w.message(1, new ProtoWriter().string(1, name).message(2, new ProtoWriter().strings(1, strs(scopes))));
  return w;
}

function oauth2Scopes(v: unknown): ProtoWriter | undefined {
  if (!isObj(v)) return undefined;
  const w = new ProtoWriter();
  for (const [k, s] of Object.entries(v)) w.message(1, new ProtoWriter().string(1, k).string(2, str(s)));
  return w;
}

/** SecurityDefinitionsItem: the oneof member is chosen by `type` (and `flow` for oauth2). */
function securityDefinition(v: unknown): ProtoWriter {
  const o = obj(v) ?? {};
  const w = new ProtoWriter();
  if (o.type === 'basic') return w.message(1, extensions(new ProtoWriter().string(1, 'basic').string(2, str(o.description)), 3, o));
  if (o.type === 'apiKey') {
    return w.message(2, extensions(new ProtoWriter().string(1, 'apiKey').string(2, str(o.name)).string(3, str(o.in)).string(4, str(o.description)), 5, o));
  }
  const base = () => new ProtoWriter().string(1, str(o.type)).string(2, str(o.flow)).message(3, oauth2Scopes(o.scopes));
  switch (o.flow) {
    case 'implicit':
      return w.message(3, extensions(base().string(4, str(o.authorizationUrl)).string(5, str(o.description)), 6, o));
    case 'password':
      return w.message(4, extensions(base().string(4, str(o.tokenUrl)).string(5, str(o.description)), 6, o));
    case 'application':
      return w.message(5, extensions(base().string(4, str(o.tokenUrl)).string(5, str(o.description)), 6, o));
    default:
      return w.message(6, extensions(base().string(4, str(o.authorizationUrl)).string(5, str(o.tokenUrl)).string(6, str(o.description)), 7, o));
  }
}

/** The Content-Type kube-openapi answers protobuf with (the `@` spelling is accepted, not sent). */
export const openAPIv2ProtobufContentType = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const v2Forms: { type: string; subtype: string; form: 'json' | 'protobuf' }[] = [
  { type: 'application', subtype: 'json', form: 'json' },
  { type: 'application', subtype: 'com.github.proto-openapi.spec.v2@v1.0+protobuf', form: 'protobuf' },
  { type: 'application', subtype: 'com.github.proto-openapi.spec.v2.v1.0+protobuf', form: 'protobuf' },
];

/**
 * Which form of /openapi/v2 an Accept header selects, as kube-openapi's handler
 * (pkg/handler/handler.go) negotiates: clauses by descending q (more specific first on ties), the
 * first clause matching a served type wins, `*` matches anything, an absent header accepts anything.
 * Undefined means 406 Not Acceptable.
 */
export function negotiateOpenAPIv2(accept: string | undefined): 'json' | 'protobuf' | undefined {
  const clauses = (accept?.trim() ? accept : '*/*')
    .split(',')
    .map((raw, i) => {
      const [range = '', ...params] = raw.split(';').map((s) => s.trim());
      const [type = '', subtype = '*'] = range.toLowerCase().split('/');
      const q = params.map((p) => /^q=([\d.]+)$/i.exec(p)?.[1]).find((x) => x !== undefined);
      return { type, subtype, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((c) => c.type && c.q > 0)
    .sort((a, b) => b.q - a.q || Number(a.type === '*') - Number(b.type === '*') || Number(a.subtype === '*') - Number(b.subtype === '*') || a.i - b.i);
  for (const c of clauses) {
    const hit = v2Forms.find((f) => (c.type === '*' || c.type === f.type) && (c.subtype === '*' || c.subtype === f.subtype));
    if (hit) return hit.form;
  }
  return undefined;
}
