import { DEFAULT_PAGE_SIZE, pageWindow } from '../../../src/domain/common/pagination';
import { ValidationError } from '../../../src/domain/errors';

function violationsOf(request: Parameters<typeof pageWindow>[0]): Array<{ field?: string; message: string }> {
  try {
    pageWindow(request);
  } catch (error) {
    if (error instanceof ValidationError) return error.violations.map(({ field, message }) => ({ field, message }));
    throw error;
  }
  return [];
}

describe('page requests', () => {
  it('reads first/after forward and last/before backward, the default size when neither size is given', () => {
    expect(pageWindow({})).toEqual({ size: DEFAULT_PAGE_SIZE, direction: 'forward', cursor: null, cursorField: 'after' });
    expect(pageWindow({ first: 5, after: 'a' })).toEqual({ size: 5, direction: 'forward', cursor: 'a', cursorField: 'after' });
    expect(pageWindow({ before: 'b' })).toEqual({ size: DEFAULT_PAGE_SIZE, direction: 'backward', cursor: 'b', cursorField: 'before' });
    expect(pageWindow({ last: 100, before: null })).toEqual({ size: 100, direction: 'backward', cursor: null, cursorField: 'before' });
  });

  it('reports every argument at fault at once, each message naming it', () => {
    expect(violationsOf({ first: 0, last: 101 })).toEqual([
      { field: 'first', message: 'first must be an integer from 1 to 100, got 0' },
      { field: 'last', message: 'last must be an integer from 1 to 100, got 101' },
      { field: 'last', message: 'last goes without first: give first or last, not both' },
    ]);
    expect(violationsOf({ last: 2.5, after: 'x' })).toEqual([
      { field: 'last', message: 'last must be an integer from 1 to 100, got 2.5' },
      { field: 'after', message: 'after pages forward: use it with first, not with last' },
    ]);
    expect(violationsOf({ first: 2, before: 'x' })).toEqual([{ field: 'before', message: 'before pages backward: use it with last, not with first' }]);
  });
});
