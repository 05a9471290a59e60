/**
 * Jest setup (setupFilesAfterEnv): a promise rejection nobody handles during a test fails that
 * test. mlplane's processes log such a rejection at fatal (src/app/process-guards.ts); in tests it
 * must never happen at all.
 */
const unhandled: unknown[] = [];
const record = (reason: unknown) => {
  unhandled.push(reason);
};
process.on('unhandledRejection', record);

afterEach(() => {
  const seen = unhandled.splice(0);
  if (seen.length > 0) {
    throw new Error(
      `${seen.length} unhandled promise rejection(s) during this test: ${seen.map((reason) => (reason instanceof Error ? reason.stack : String(reason))).join('\n')}`,
    );
  }
});

afterAll(() => {
  process.off('unhandledRejection', record);
});
