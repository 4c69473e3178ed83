/**
 * Categories and tags are the same thing to the database: a name of the user's (unique whatever its case)
 * with an optional colour. They differ only in limits and in how tasks point at them, which `categories.ts`
 * and `tags.ts` supply; this module is the part they share.
 */
import type { Sql } from "postgres";
import * as v from "valibot";
import { type DomainContext, type Tx, transact } from "./context.js";
import { DomainError, isUniqueViolation, notFound } from "./errors.js";
import { parseId } from "./ids.js";
import { checkLimit, decodeCursor, encodeCursor } from "./pages.js";

/** The same rule as the table's check constraint, so a bad colour is a sentence, never a SQL error. */
export const COLOR_PATTERN = /^#[0-9A-Fa-f]{6}$/;
export const COLOR_RULE = "A colour must look like #RRGGBB (e.g. #1E90FF)";

export const LabelSchema = v.object({
  id: v.string(),
  name: v.string(),
  color: v.nullable(v.pipe(v.string(), v.description("A #RRGGBB colour, or null."))),
  task_count: v.pipe(v.number(), v.description("How many of your tasks (open or completed) carry it.")),
  created_at: v.string(),
  updated_at: v.string(),
});
export type Label = v.InferOutput<typeof LabelSchema>;

export interface LabelKind {
  kind: "category" | "tag";
  table: "categories" | "tags";
  plural: string;
  maxName: number;
  maxPerUser: number;
  /** How many of the user's tasks carry each of these labels (absent = none). */
  countTasks(db: Sql | Tx, userId: string, ids: readonly string[]): Promise<Map<string, number>>;
}

export interface LabelChanges {
  name?: string | undefined;
  /** `null` clears the colour; `undefined` leaves it. */
  color?: string | null | undefined;
}

interface LabelRow {
  id: string;
  name: string;
  color: string | null;
  created_at: Date;
  updated_at: Date;
}

export function checkName(kind: LabelKind, raw: string): string {
  const name = raw.trim();
  if (name === "") throw new DomainError("VALIDATION_ERROR", `A ${kind.kind} name cannot be empty.`);
  // Count code points, as the table's char_length check does, not UTF-16 units.
  const length = [...name].length;
  if (length > kind.maxName) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `A ${kind.kind} name can be at most ${kind.maxName} characters; this one has ${length}.`,
    );
  }
  return name;
}

/** Stored upper-case, so "#1e90ff" and "#1E90FF" are one colour. */
export function checkColor(raw: string | null): string | null {
  if (raw === null) return null;
  if (!COLOR_PATTERN.test(raw)) throw new DomainError("VALIDATION_ERROR", `${COLOR_RULE}, not "${raw}".`);
  return raw.toUpperCase();
}

const duplicate = (kind: LabelKind, name: string) =>
  new DomainError("DUPLICATE_NAME", `You already have a ${kind.kind} named "${name}" (names ignore case).`);

async function withCounts(db: Sql | Tx, kind: LabelKind, userId: string, rows: LabelRow[]): Promise<Label[]> {
  const ids = rows.map((row) => row.id);
  const counts = await kind.countTasks(db, userId, ids);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    color: row.color,
    task_count: counts.get(row.id) ?? 0,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }));
}

export async function createLabel(
  kind: LabelKind,
  ctx: DomainContext,
  input: { name: string; color?: string | null | undefined },
): Promise<Label> {
  const name = checkName(kind, input.name);
  const color = checkColor(input.color ?? null);
  const userId = ctx.user.id;
  return transact(ctx, async (tx) => {
    // Creates of one user queue on their user row, so two racing at the limit cannot both see room.
    // NO KEY UPDATE does not conflict with the KEY SHARE locks that inserting rows which reference the
    // user take, so the user's other writes (tasks, tokens) are not held up.
    await tx`select 1 from users where id = ${userId} for no key update`;
    const [{ count } = { count: 0 }] = await tx<{ count: number }[]>`
      select count(*)::int as count from ${tx(kind.table)} where user_id = ${userId}`;
    if (count >= kind.maxPerUser) {
      throw new DomainError(
        "LIMIT_REACHED",
        `You have ${count} ${kind.plural}, the most allowed; delete one you no longer use first.`,
      );
    }
    try {
      const rows = await tx<LabelRow[]>`
        insert into ${tx(kind.table)} (user_id, name, color) values (${userId}, ${name}, ${color})
        returning id, name, color, created_at, updated_at`;
      return (await withCounts(tx, kind, userId, rows))[0] as Label;
    } catch (error) {
      // The unique index on lower(name) decides, so concurrent creates of one name cannot both win.
      throw isUniqueViolation(error) ? duplicate(kind, name) : error;
    }
  });
}

/** Keyset pagination on (lower(name), id): stable under inserts and deletes between pages. */
export async function listLabels(
  kind: LabelKind,
  ctx: DomainContext,
  page: { limit?: number | undefined; cursor?: string | undefined },
): Promise<{ items: Label[]; nextCursor: string | null }> {
  const { sql } = ctx;
  const limit = checkLimit(page.limit);
  const listing = { name: kind.table };
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, listing, ["text"]);
  const rows = await sql<(LabelRow & { sort_key: string })[]>`
    select id, name, color, created_at, updated_at, lower(name) as sort_key
    from ${sql(kind.table)}
    where user_id = ${ctx.user.id}
      ${after ? sql`and (lower(name), id) > (${after.keys[0] ?? ""}, ${after.id}::uuid)` : sql``}
    order by lower(name), id
    limit ${limit + 1}`;
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  const nextCursor = rows.length > limit && last ? encodeCursor(listing, [last.sort_key], last.id) : null;
  return { items: await withCounts(sql, kind, ctx.user.id, pageRows), nextCursor };
}

export async function updateLabel(
  kind: LabelKind,
  ctx: DomainContext,
  rawId: string,
  changes: LabelChanges,
): Promise<Label> {
  if (changes.name === undefined && changes.color === undefined) {
    throw new DomainError("VALIDATION_ERROR", `Give a new name or colour (or both) for the ${kind.kind}.`);
  }
  const set: { name?: string; color?: string | null } = {};
  if (changes.name !== undefined) set.name = checkName(kind, changes.name);
  if (changes.color !== undefined) set.color = checkColor(changes.color);
  const id = parseId(rawId);
  if (id === undefined) throw notFound(kind.kind, rawId);
  const userId = ctx.user.id;
  return transact(ctx, async (tx) => {
    let rows: LabelRow[];
    try {
      rows = await tx<LabelRow[]>`
        update ${tx(kind.table)} set ${tx(set)}, updated_at = now()
        where id = ${id} and user_id = ${userId}
        returning id, name, color, created_at, updated_at`;
    } catch (error) {
      throw isUniqueViolation(error) ? duplicate(kind, set.name ?? "") : error;
    }
    if (rows.length === 0) throw notFound(kind.kind, id);
    return (await withCounts(tx, kind, userId, rows))[0] as Label;
  });
}

export async function deleteLabel(
  kind: LabelKind,
  ctx: DomainContext,
  rawId: string,
): Promise<{ id: string; name: string; tasks_affected: number }> {
  const id = parseId(rawId);
  if (id === undefined) throw notFound(kind.kind, rawId);
  const userId = ctx.user.id;
  return transact(ctx, async (tx) => {
    // FOR UPDATE waits for (and then blocks) writes that reference the label, so the count is exact.
    const [row] = await tx<{ id: string; name: string }[]>`
      select id, name from ${tx(kind.table)} where id = ${id} and user_id = ${userId} for update`;
    if (!row) throw notFound(kind.kind, id);
    const affected = (await kind.countTasks(tx, userId, [id])).get(id) ?? 0;
    await tx`delete from ${tx(kind.table)} where id = ${id}`;
    return { id: row.id, name: row.name, tasks_affected: affected };
  });
}
