import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '../../..');

/** NODE_ENV, MLPLANE_INTROSPECTION and graphql-js's type check, in a fresh process that loads `src/config/node-env.ts` and then graphql, with `env`. */
function afterLoading(env: Record<string, string>): { nodeEnv?: string; introspection?: string; graphqlChecksRealms: boolean } {
  const script = `
    require(${JSON.stringify(path.join(ROOT, 'src/config/node-env.ts'))});
    const { instanceOf } = require('graphql/jsutils/instanceOf');
    console.log(JSON.stringify({ nodeEnv: process.env.NODE_ENV, introspection: process.env.MLPLANE_INTROSPECTION, graphqlChecksRealms: /realm/.test(instanceOf.toString()) }));`;
  const { PATH, HOME } = process.env;
  const run = spawnSync(process.execPath, ['-r', path.join(ROOT, 'test/support/ts-register.js'), '-e', script], {
    cwd: ROOT,
    env: { PATH: PATH ?? '', HOME: HOME ?? '', ...env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as ReturnType<typeof afterLoading>;
}

describe('NODE_ENV of the mlplane processes', () => {
  it('defaults to production, keeping introspection on by default', () => {
    expect(afterLoading({})).toEqual({ nodeEnv: 'production', introspection: 'true', graphqlChecksRealms: false });
  });

  it('keeps a NODE_ENV the user set, and what it means for introspection', () => {
    expect(afterLoading({ NODE_ENV: 'production' })).toEqual({ nodeEnv: 'production', graphqlChecksRealms: false });
    expect(afterLoading({ NODE_ENV: 'development' })).toEqual({ nodeEnv: 'development', graphqlChecksRealms: true });
  });

  it('keeps an introspection setting the user gave', () => {
    expect(afterLoading({ MLPLANE_INTROSPECTION: 'false' })).toEqual({ nodeEnv: 'production', introspection: 'false', graphqlChecksRealms: false });
  });
});
