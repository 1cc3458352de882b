// binding.d.ts against the addon it types: the same exported names, each of the same kind (function, class,
// constant object); for a class the same methods and properties (a readonly one a getter without a setter); for a
// constant object the same keys and values. The suite fails when either side gains or loses a name.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import native from '../lib/native';

type Shape =
  | { kind: 'function' }
  | { kind: 'class'; members: Record<string, 'method' | 'getter' | 'accessor'> }
  | { kind: 'object'; values: Record<string, unknown> };

/** What binding.d.ts declares, from its syntax: each exported value's shape. */
function declared(file: string): Record<string, Shape> {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const shapes: Record<string, Shape> = {};
  const readonly = (node: ts.Node) =>
    ts.getModifiers(node as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword) ?? false;
  for (const statement of source.statements) {
    if (!ts.getModifiers(statement as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) shapes[statement.name.text] = { kind: 'function' };
    else if (ts.isClassDeclaration(statement) && statement.name) {
      const members: Record<string, 'method' | 'getter' | 'accessor'> = {};
      for (const member of statement.members) {
        if (ts.isMethodDeclaration(member)) members[member.name.getText(source)] = 'method';
        else if (ts.isPropertyDeclaration(member))
          members[member.name.getText(source)] = readonly(member) ? 'getter' : 'accessor';
      }
      shapes[statement.name.text] = { kind: 'class', members };
    } else if (ts.isVariableStatement(statement))
      for (const variable of statement.declarationList.declarations) {
        const values: Record<string, unknown> = {};
        const type = variable.type;
        if (!type || !ts.isTypeLiteralNode(type)) throw new Error(`${variable.name.getText(source)}: expected { ... }`);
        for (const property of type.members) {
          const literal = ts.isPropertySignature(property) && property.type;
          if (!literal || !ts.isLiteralTypeNode(literal)) throw new Error(`${property.getText(source)}: not a literal`);
          values[property.name?.getText(source) ?? ''] = JSON.parse(literal.literal.getText(source));
        }
        shapes[variable.name.getText(source)] = { kind: 'object', values };
      }
  }
  return shapes;
}

/** What a loaded module exports: a function whose prototype has members of its own is a class. */
function exported(module: object): Record<string, Shape> {
  const shapes: Record<string, Shape> = {};
  for (const [name, value] of Object.entries(module)) {
    if (typeof value === 'function') {
      const own = Object.getOwnPropertyNames(value.prototype ?? {}).filter((m) => m !== 'constructor');
      if (own.length === 0) shapes[name] = { kind: 'function' };
      else {
        const members: Record<string, 'method' | 'getter' | 'accessor'> = {};
        for (const member of own) {
          const d = Object.getOwnPropertyDescriptor(value.prototype, member) as PropertyDescriptor;
          members[member] = d.get ? (d.set ? 'accessor' : 'getter') : 'method';
        }
        shapes[name] = { kind: 'class', members };
      }
    } else if (typeof value === 'object' && value !== null) shapes[name] = { kind: 'object', values: { ...value } };
    else
      throw new Error(`${name}: a ${typeof value}, which binding.d.ts cannot declare as a function, class or object`);
  }
  return shapes;
}

/** Every difference between the declared and the exported shapes, one line each (none: they agree). */
function differences(declaredShapes: Record<string, Shape>, exportedShapes: Record<string, Shape>): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(exportedShapes))
    if (!(name in declaredShapes)) lines.push(`${name}: exported by the addon, not declared in binding.d.ts`);
  for (const [name, shape] of Object.entries(declaredShapes)) {
    const actual = exportedShapes[name];
    if (!actual) lines.push(`${name}: declared in binding.d.ts, not exported by the addon`);
    else if (actual.kind !== shape.kind) lines.push(`${name}: declared a ${shape.kind}, exported a ${actual.kind}`);
    else if (shape.kind === 'class' && actual.kind === 'class') {
      const names = new Set([...Object.keys(shape.members), ...Object.keys(actual.members)]);
      for (const member of names)
        if (shape.members[member] !== actual.members[member])
          lines.push(
            `${name}.${member}: declared ${shape.members[member] ?? 'nothing'}, exported ${actual.members[member] ?? 'nothing'}`,
          );
    } else if (
      shape.kind === 'object' &&
      actual.kind === 'object' &&
      JSON.stringify(shape.values) !== JSON.stringify(actual.values)
    )
      lines.push(`${name}: declared ${JSON.stringify(shape.values)}, exported ${JSON.stringify(actual.values)}`);
  }
  return lines;
}

const declarations = declared(path.resolve(__dirname, '..', 'binding.d.ts'));

test('binding.d.ts declares exactly what the addon exports, each name of the same kind', () => {
  const actual = exported(native);
  assert.equal(differences(declarations, actual), []);
  // a sanity floor: the reader found the kinds it is meant to find
  assert.equal(declarations.linearForward, { kind: 'function' });
  assert.equal(declarations.Activation, { kind: 'object', values: native.Activation });
  assert.equal((declarations.Network as { members: object }).members, (actual.Network as { members: object }).members);
  assert.is((declarations.Network as { members: Record<string, string> }).members.current, 'getter');
  assert.is((declarations.Network as { members: Record<string, string> }).members.step, 'accessor');
});

test('the comparison reports a name on one side only, a changed kind, member or constant', () => {
  const { blasInfo, ...withoutBlasInfo } = native;
  assert.equal(differences(declarations, exported(withoutBlasInfo)), [
    'blasInfo: declared in binding.d.ts, not exported by the addon',
  ]);
  assert.equal(differences(declarations, exported({ ...native, extra: () => 0 })), [
    'extra: exported by the addon, not declared in binding.d.ts',
  ]);
  assert.equal(differences(declarations, exported({ ...native, blasInfo: { library: 'OpenBLAS' } })), [
    'blasInfo: declared a function, exported a object',
  ]);
  class Network {
    forward() {}
  }
  assert.ok(
    differences(declarations, exported({ ...native, Network })).includes(
      'Network.cost: declared method, exported nothing',
    ),
  );
  assert.equal(differences(declarations, exported({ ...native, Activation: { ...native.Activation, softmax: 6 } })), [
    `Activation: declared ${JSON.stringify(native.Activation)}, exported ${JSON.stringify({ ...native.Activation, softmax: 6 })}`,
  ]);
  assert.is(typeof blasInfo, 'function');
});

test.run();
