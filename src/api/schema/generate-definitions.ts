/**
 * Builds the API schema (upstream-style OpenAPI v2 definitions) from the `kubernetes-types`
 * declaration files, which carry every field's name, TS type, optionality and doc comment, and then
 * applies the facts in overlay.ts (integer formats, patch strategies, list types, special wire types).
 *
 * Build-time only: it needs the `typescript` compiler API and the `kubernetes-types` package, both
 * development dependencies. `scripts/gen-schema.ts` writes the result to dist/schema/definitions.json,
 * which load-schema.ts reads at run time.
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import type { Definitions, GroupVersionKind, SchemaNode } from './schema-types.js';
import {
  apiGroupOfDirectory,
  byteFields,
  definitionExtensions,
  definitionPrefix,
  fieldEnums,
  fieldExtensions,
  intOrStringDefinition,
  numberSchema,
  specialDefinitions,
} from './overlay.js';
import { gatewayApiDefinitions } from './gateway-api-definitions.js';

/** The directory of the installed `kubernetes-types` package. */
export function kubernetesTypesDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('kubernetes-types/package.json'));
}

function declarationFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...declarationFiles(p));
    else if (entry.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

const ref = (name: string): SchemaNode => ({ $ref: `#/definitions/${name}` });

export function generateDefinitions(typesDir: string = kubernetesTypesDir()): Definitions {
  const files = declarationFiles(typesDir);
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const defs: Definitions = {};

  const moduleOf = (sf: ts.SourceFile): string => relative(typesDir, sf.fileName).replace(/\\/g, '/').replace(/\.d\.ts$/, '');
  const nameOfDeclaration = (decl: ts.Declaration): string | undefined => {
    if (!(ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl))) return undefined;
    return `${definitionPrefix(moduleOf(decl.getSourceFile()))}.${decl.name.text}`;
  };
  const docOf = (node: ts.Node & { name?: ts.Node }): string | undefined => {
    const sym = node.name ? checker.getSymbolAtLocation(node.name) : undefined;
    const text = sym ? ts.displayPartsToString(sym.getDocumentationComment(checker)).trim() : '';
    return text || undefined;
  };

  /** The schema of a TS type node written inside definition `owner`, field `field`. */
  const schemaOf = (type: ts.TypeNode, owner: string, field: string): SchemaNode => {
    if (ts.isParenthesizedTypeNode(type)) return schemaOf(type.type, owner, field);
    switch (type.kind) {
      case ts.SyntaxKind.StringKeyword:
        return byteFields.has(`${owner}.${field}`) ? { type: 'string', format: 'byte' } : { type: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return numberSchema(owner, field);
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return {};
    }
    if (ts.isLiteralTypeNode(type)) {
      if (ts.isStringLiteral(type.literal)) return { type: 'string' };
      if (type.literal.kind === ts.SyntaxKind.TrueKeyword || type.literal.kind === ts.SyntaxKind.FalseKeyword) return { type: 'boolean' };
      return numberSchema(owner, field);
    }
    if (ts.isUnionTypeNode(type)) {
      const kinds = new Set(type.types.map((t) => t.kind));
      if (kinds.has(ts.SyntaxKind.NumberKeyword) && kinds.has(ts.SyntaxKind.StringKeyword)) return ref(intOrStringDefinition);
      if (type.types.every((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal))) return { type: 'string' };
      return {};
    }
    if (ts.isArrayTypeNode(type)) return { type: 'array', items: schemaOf(type.elementType, owner, field) };
    if (ts.isTypeLiteralNode(type)) {
      const index = type.members.find(ts.isIndexSignatureDeclaration);
      if (index?.type) return { type: 'object', additionalProperties: schemaOf(index.type, owner, field) };
      return { type: 'object' };
    }
    if (ts.isTypeReferenceNode(type)) {
      const id = ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text;
      if ((id === 'Array' || id === 'ReadonlyArray') && type.typeArguments?.length === 1) {
        return { type: 'array', items: schemaOf(type.typeArguments[0]!, owner, field) };
      }
      if (id === 'Record' && type.typeArguments?.length === 2) {
        return { type: 'object', additionalProperties: schemaOf(type.typeArguments[1]!, owner, field) };
      }
      let sym = checker.getSymbolAtLocation(type.typeName);
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      const decl = sym?.declarations?.[0];
      const name = decl ? nameOfDeclaration(decl) : undefined;
      if (name) return ref(name);
    }
    return {};
  };

  const gvkOf = (decl: ts.InterfaceDeclaration): GroupVersionKind[] | undefined => {
    let apiVersion: string | undefined;
    let kind: string | undefined;
    for (const m of decl.members) {
      if (!ts.isPropertySignature(m) || !m.type || !ts.isLiteralTypeNode(m.type) || !ts.isStringLiteral(m.type.literal)) continue;
      const name = m.name.getText();
      if (name === 'apiVersion') apiVersion = m.type.literal.text;
      if (name === 'kind') kind = m.type.literal.text;
    }
    if (apiVersion === undefined || kind === undefined) return undefined;
    const slash = apiVersion.indexOf('/');
    return [{ group: slash < 0 ? '' : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind }];
  };

  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(typesDir)) continue;
    const moduleDir = moduleOf(sf).split('/')[0]!;
    if (!(moduleDir in apiGroupOfDirectory) && !['runtime', 'version', 'api'].includes(moduleDir)) continue;
    for (const stmt of sf.statements) {
      if (!(ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt))) continue;
      const name = nameOfDeclaration(stmt)!;
      const description = docOf(stmt);
      const special = specialDefinitions[name];
      if (special) {
        defs[name] = { ...(description ? { description } : {}), ...special };
        continue;
      }
      if (ts.isTypeAliasDeclaration(stmt)) {
        defs[name] = { ...(description ? { description } : {}), ...schemaOf(stmt.type, name, '') };
        continue;
      }
      const node: SchemaNode = { ...(description ? { description } : {}), type: 'object' };
      const properties: Record<string, SchemaNode> = {};
      const required: string[] = [];
      for (const m of stmt.members) {
        if (!ts.isPropertySignature(m) || !m.type) continue;
        const field = ts.isStringLiteral(m.name) ? m.name.text : m.name.getText();
        const prop: SchemaNode = { ...schemaOf(m.type, name, field) };
        const doc = docOf(m);
        if (doc) prop.description = doc;
        const enumValues = fieldEnums[`${name}.${field}`];
        if (enumValues) prop.enum = [...enumValues];
        Object.assign(prop, fieldExtensions[name]?.[field]);
        properties[field] = orderKeys(prop);
        if (!m.questionToken) required.push(field);
      }
      if (Object.keys(properties).length > 0) node.properties = properties;
      if (required.length > 0) node.required = required.sort();
      const gvk = gvkOf(stmt);
      if (gvk) node['x-kubernetes-group-version-kind'] = gvk;
      Object.assign(node, definitionExtensions[name]);
      defs[name] = orderKeys(node);
    }
  }
  defs[intOrStringDefinition] = { ...specialDefinitions[intOrStringDefinition] };
  // Kinds served natively that kubernetes-types does not declare (Gateway API).
  Object.assign(defs, gatewayApiDefinitions());
  addSharedMetaKinds(defs);
  return Object.fromEntries(Object.keys(defs).sort().map((k) => [k, defs[k]!]));
}

/**
 * meta/v1 types that every group serves (DeleteOptions, WatchEvent, Status) carry the GVKs of
 * each group in upstream's documents; the declarations only know core/v1 or nothing.
 */
function addSharedMetaKinds(defs: Definitions): void {
  const groups = [...new Set(Object.values(defs).flatMap((d) => d['x-kubernetes-group-version-kind'] ?? []).map((g) => `${g.group}/${g.version}`))].sort();
  for (const kind of ['DeleteOptions', 'WatchEvent']) {
    const def = defs[`io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`];
    if (!def) continue;
    def['x-kubernetes-group-version-kind'] = groups.map((gv) => {
      const [group, version] = gv.split('/') as [string, string];
      return { group, version, kind };
    });
  }
  const status = defs['io.k8s.apimachinery.pkg.apis.meta.v1.Status'];
  if (status) status['x-kubernetes-group-version-kind'] = [{ group: '', version: 'v1', kind: 'Status' }];
}

/** Stable key order (as upstream prints: description first, extensions last) for readable output. */
function orderKeys(node: SchemaNode): SchemaNode {
  const order = ['description', 'type', 'format', '$ref', 'items', 'properties', 'additionalProperties', 'required', 'enum', 'default'];
  const out: Record<string, unknown> = {};
  for (const k of order) if (k in node) out[k] = (node as Record<string, unknown>)[k];
  for (const k of Object.keys(node).sort()) if (!(k in out)) out[k] = (node as Record<string, unknown>)[k];
  return out as SchemaNode;
}
