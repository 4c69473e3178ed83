/**
 * Object ids are UUIDs, which Postgres prints in lower case. A model may hand one back in upper case;
 * it names the same row, but results are matched against ids as JS strings (a Map of loaded tasks, a Set
 * of found tags, "is this the category it already has"), so every id is brought to Postgres' spelling
 * where it enters the domain.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Anything else would make Postgres throw, and must instead look like a missing object. */
export const isUuid = (id: string): boolean => UUID.test(id);

/** The id in lower case, or undefined when it cannot be one (no trimming: " id" is not an id). */
export const parseId = (raw: string): string | undefined => (UUID.test(raw) ? raw.toLowerCase() : undefined);
