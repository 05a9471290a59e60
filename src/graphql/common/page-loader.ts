import type { Page, PageRequest } from '../../domain/common/pagination';
import { defineLoader, type GraphQLContext, type LoaderDefinition } from '../context';

/** One parent's connection field with its arguments (the Relay ones and any filter). */
export interface PageKey<A extends PageRequest> {
  parentId: string;
  args: A;
}

/** Reads the same page of many parents' lists at once, keyed by parent id. */
export type LoadPages<T, A extends PageRequest> = (parentIds: readonly string[], args: A, context: GraphQLContext) => Promise<Map<string, Page<T>>>;

/** The arguments given (absent and null alike), in name order: equal arguments, equal key. */
function argsKey(args: PageRequest & Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(args)
      .sort()
      .flatMap((name) => (args[name] == null ? [] : [[name, args[name]]])),
  );
}

/**
 * A DataLoader kind for a connection field of a type that comes in lists (a model's versions): the
 * parents of one request asking with the same arguments share one read of all their pages, so a
 * list of N models asking for versions costs the same queries as one model.
 */
export function definePageLoader<T, A extends PageRequest = PageRequest>(name: string, load: LoadPages<T, A>): LoaderDefinition<PageKey<A>, Page<T>, string> {
  return defineLoader<PageKey<A>, Page<T>, string>(
    name,
    async (keys, context) => {
      const groups = new Map<string, { args: A; parentIds: string[] }>();
      for (const { parentId, args } of keys) {
        const key = argsKey(args as A & Record<string, unknown>);
        const group = groups.get(key) ?? { args, parentIds: [] };
        group.parentIds.push(parentId);
        groups.set(key, group);
      }
      const loaded = new Map<string, Map<string, Page<T>> | Error>();
      await Promise.all(
        [...groups].map(async ([key, group]) => {
          loaded.set(
            key,
            await load(group.parentIds, group.args, context).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
          );
        }),
      );
      return keys.map(({ parentId, args }) => {
        const pages = loaded.get(argsKey(args as A & Record<string, unknown>));
        if (pages instanceof Error) return pages;
        return pages?.get(parentId) ?? new Error(`internal error: ${name} loaded no page for ${parentId}`);
      });
    },
    { cacheKeyFn: ({ parentId, args }) => `${parentId} ${argsKey(args as A & Record<string, unknown>)}` },
  );
}
