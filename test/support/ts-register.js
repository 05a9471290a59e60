'use strict';
/**
 * Lets plain `node -r ./test/support/ts-register.js script.ts` run the TypeScript sources without a
 * build: each `.ts` file is transpiled (no type check) to CommonJS as it is required.
 * Used by tests that need a real separate process (a worker killed with SIGKILL).
 */
const fs = require('node:fs');
const Module = require('node:module');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  sourceMap: false,
  inlineSourceMap: true,
};

// The generated Prisma client imports its siblings as `./x.js`; in the sources they are `./x.ts`.
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolveTypeScriptSibling(request, parent, ...rest) {
  try {
    return originalResolve.call(this, request, parent, ...rest);
  } catch (error) {
    if (request.startsWith('.') && request.endsWith('.js') && parent?.filename?.endsWith('.ts')) {
      return originalResolve.call(this, `${request.slice(0, -3)}.ts`, parent, ...rest);
    }
    throw error;
  }
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
