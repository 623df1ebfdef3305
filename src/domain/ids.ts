const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids; anything else can name nothing, and must not reach PostgreSQL as a cast error. */
export function isId(value: string): boolean {
  return UUID.test(value);
}
