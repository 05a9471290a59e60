/** Jest runs TypeScript through ts-jest in transpile-only CommonJS mode; `npm run typecheck` is the type check. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          isolatedModules: true,
          module: 'commonjs',
          moduleResolution: 'node',
          target: 'ES2022',
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          useDefineForClassFields: false,
          esModuleInterop: true,
        },
      },
    ],
  },
  moduleNameMapper: {
    // The generated Prisma client imports its TypeScript siblings as `./x.js`.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^graphql-ws/use/ws$': '<rootDir>/node_modules/graphql-ws/dist/use/ws.cjs',
    '^graphql-ws/client$': '<rootDir>/node_modules/graphql-ws/dist/client.cjs',
  },
  setupFiles: ['reflect-metadata'],
  setupFilesAfterEnv: ['<rootDir>/test/support/fail-on-unhandled-rejection.ts'],
  testTimeout: 60000,
};
