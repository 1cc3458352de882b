// The package's public types as a TypeScript user compiles them: test/support/consumer/consumer.ts in an ES module
// project and a CommonJS one (strict, module/moduleResolution nodenext), and a CommonJS one on the older node10
// resolution, each with `types: []` (TypeScript's coming default: no @types package unless the code asks for it)
// and without skipLibCheck. dnn-native is linked into each project's node_modules, so the compiler resolves it
// through package.json's exports (or `types`), as for an installed package. Compile-only, in one process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(__dirname, '..');
const fixture = path.join(__dirname, 'support', 'consumer');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-types-'));

// the standard library's declarations parse once for all projects
const parsed = new Map<string, ts.SourceFile | undefined>();
const baseHost = ts.createCompilerHost({});
const getSourceFile: ts.CompilerHost['getSourceFile'] = (file, language, ...rest) => {
  const key = `${file}\0${typeof language === 'object' ? language.languageVersion : language}`;
  if (!parsed.has(key)) parsed.set(key, baseHost.getSourceFile(file, language, ...rest));
  return parsed.get(key);
};

/**
 * The errors of compiling the consumer (its source given, or the fixture's) in the fixture project `name`,
 * formatted as tsc prints them: an empty string when none.
 */
function compile(name: string, source = fs.readFileSync(path.join(fixture, 'consumer.ts'), 'utf8'), as = name): string {
  const project = path.join(work, as);
  fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json'])
    fs.copyFileSync(path.join(fixture, name, file), path.join(project, file));
  fs.writeFileSync(path.join(project, 'consumer.ts'), source);
  fs.symlinkSync(root, path.join(project, 'node_modules', 'dnn-native'), 'dir');
  const configFile = path.join(project, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) =>
        assert.unreachable(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    },
  );
  if (!config) throw new Error(`cannot read ${configFile}`);
  const host = { ...ts.createCompilerHost(config.options), getSourceFile };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  // every diagnostic tsc would print for the consumer and dnn-native's declarations; TypeScript's own lib and
  // @types/node are not re-checked in full (that is their authors' job, and seconds of work)
  const ours = program
    .getSourceFiles()
    .filter((f) => !f.fileName.includes('/node_modules/') || f.fileName.includes('/node_modules/dnn-native/'))
    .filter((f) => !program.isSourceFileDefaultLibrary(f));
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ];
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => project,
    getNewLine: () => '\n',
  });
}

for (const [name, what] of [
  ['esm', 'an ES module project (type: module), nodenext'],
  ['cjs', 'a CommonJS project, nodenext'],
  ['node10', 'a CommonJS project on the node10 resolution (no exports map)'],
])
  test(`the public types compile in ${what}, strict, with types: []`, () => {
    assert.is(compile(name), '');
  });

test('the check is not vacuous: a misuse the types forbid is reported', () => {
  const source = fs.readFileSync(path.join(fixture, 'consumer.ts'), 'utf8');
  const unmarked = source.replace('// @ts-expect-error: blasInfo takes no argument\n', '');
  assert.is.not(unmarked, source);
  assert.match(compile('esm', unmarked, 'esm-misuse'), 'error TS2554: Expected 0 arguments, but got 1.');
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
test.run();
