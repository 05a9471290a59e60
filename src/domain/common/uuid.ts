const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID in its textual form. Ids are UUID columns: PostgreSQL rejects any other
 * text with an error, where a lookup by an id that cannot exist should simply find nothing.
 */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
