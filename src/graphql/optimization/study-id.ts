import { isUuid } from '../../domain/common/uuid';

/**
 * A study is a view of its OPTIMIZATION run, stored in that run's row. Its GraphQL id must differ
 * from the run's (ids are unique across types for `node(id:)`), so it is base64url("Study:<run id>").
 * Every argument naming a study also takes the run's id, as it did before studies had their own.
 */
const PREFIX = 'Study:';

export function studyIdOf(runId: string): string {
  return Buffer.from(`${PREFIX}${runId}`).toString('base64url');
}

/** The OPTIMIZATION run's id of a study id, or a run id given as is (anything else unchanged: it finds nothing). */
export function runIdOfStudy(id: string): string {
  if (isUuid(id)) return id;
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const runId = decoded.startsWith(PREFIX) ? decoded.slice(PREFIX.length) : '';
  return isUuid(runId) ? runId : id;
}
