import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../../../test/support/db.js";
import {
  contextFor,
  insertTask,
  insertUser,
  outboxEvents,
  warmPool,
} from "../../../test/support/label-fixtures.js";
import {
  createCategory,
  deleteCategory,
  listCategories,
  MAX_CATEGORIES,
  updateCategory,
} from "./categories.js";
import type { ToolContext } from "./context.js";

const db = useTestDb("domain-categories", { max: 12 });

async function freshUser(): Promise<ToolContext> {
  return contextFor(db.sql, await insertUser(db.sql));
}

describe("createCategory", () => {
  it("trims the name, upper-cases the colour and starts with no tasks", async () => {
    const ctx = await freshUser();
    const category = await createCategory(ctx, { name: "  Work  ", color: "#1e90ff" });
    expect(category).toMatchObject({ name: "Work", color: "#1E90FF", task_count: 0 });
    expect(await createCategory(ctx, { name: "Home" })).toMatchObject({ name: "Home", color: null });
  });

  it("refuses empty, too long and badly coloured categories with VALIDATION_ERROR", async () => {
    const ctx = await freshUser();
    for (const input of [
      { name: "" },
      { name: "   " },
      { name: "x".repeat(51) },
      { name: "Ok", color: "red" },
    ]) {
      await expect(createCategory(ctx, input)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    }
    // 50 code points, though more UTF-16 units: the limit counts characters as the table does.
    await expect(createCategory(ctx, { name: "🙂".repeat(50) })).resolves.toMatchObject({ task_count: 0 });
  });

  it("refuses a name the user already has in any case, concurrently too", async () => {
    const ctx = await freshUser();
    await createCategory(ctx, { name: "Work" });
    await expect(createCategory(ctx, { name: "WORK" })).rejects.toMatchObject({ code: "DUPLICATE_NAME" });
    await warmPool(db.sql, 4);
    const racing = await Promise.allSettled([1, 2, 3, 4].map(() => createCategory(ctx, { name: "Errands" })));
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    // Another user may use the same name.
    await expect(createCategory(await freshUser(), { name: "work" })).resolves.toMatchObject({
      name: "work",
    });
  });

  it("stops at 50 with LIMIT_REACHED, even when creates race at the limit", async () => {
    const ctx = await freshUser();
    for (let i = 0; i < MAX_CATEGORIES - 4; i++) await createCategory(ctx, { name: `c${i}` });
    await warmPool(db.sql, 10);
    const racing = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => createCategory(ctx, { name: `race${i}` })),
    );
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    for (const r of racing.filter((r) => r.status === "rejected")) {
      expect(r.reason).toMatchObject({ code: "LIMIT_REACHED" });
    }
    await expect(createCategory(ctx, { name: "one more" })).rejects.toMatchObject({ code: "LIMIT_REACHED" });
    const [{ count } = { count: 0 }] = await db.sql<{ count: number }[]>`
      select count(*)::int as count from categories where user_id = ${ctx.user.id}`;
    expect(count).toBe(MAX_CATEGORIES);
  });
});

describe("listCategories", () => {
  let ctx: ToolContext;
  const names = Array.from({ length: 23 }, (_, i) => `${i % 2 ? "b" : "A"}-${String(i).padStart(2, "0")}`);

  beforeAll(async () => {
    ctx = await freshUser();
    for (const name of names) await createCategory(ctx, { name });
  });

  it("pages in case-insensitive name order with no duplicates or gaps", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listCategories(ctx, { limit: 5, cursor });
      seen.push(...page.categories.map((c) => c.name));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  });

  it("keeps its place when categories are added and removed between pages", async () => {
    const first = await listCategories(ctx, { limit: 10 });
    const before = first.categories[0];
    if (!before || !first.nextCursor) throw new Error("expected a full first page");
    await deleteCategory(ctx, before.id);
    const added = await createCategory(ctx, { name: "a-00-late" });
    const rest = await listCategories(ctx, { limit: 100, cursor: first.nextCursor });
    const all = [...first.categories, ...rest.categories].map((c) => c.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all).not.toContain(added.id);
    expect(rest.nextCursor).toBeNull();
  });

  it("counts the user's tasks per category, completed ones included", async () => {
    const user = await freshUser();
    const work = await createCategory(user, { name: "Work" });
    await createCategory(user, { name: "Empty" });
    await insertTask(db.sql, user.user, { categoryId: work.id });
    await insertTask(db.sql, user.user, { categoryId: work.id, completed: true });
    await insertTask(db.sql, user.user);
    const { categories } = await listCategories(user, { limit: 50 });
    expect(categories.map((c) => [c.name, c.task_count])).toEqual([
      ["Empty", 0],
      ["Work", 2],
    ]);
  });

  it("refuses a cursor it did not make with VALIDATION_ERROR", async () => {
    for (const cursor of ["nonsense", Buffer.from('["a","not-a-uuid"]').toString("base64url")]) {
      await expect(listCategories(ctx, { limit: 5, cursor })).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
      });
    }
  });
});

describe("updateCategory and deleteCategory", () => {
  it("renames (a change of case included), recolours and clears the colour", async () => {
    const ctx = await freshUser();
    const { id } = await createCategory(ctx, { name: "work", color: "#000000" });
    expect(await updateCategory(ctx, id, { name: "Work" })).toMatchObject({ name: "Work", color: "#000000" });
    expect(await updateCategory(ctx, id, { color: "#abcdef" })).toMatchObject({
      name: "Work",
      color: "#ABCDEF",
    });
    expect(await updateCategory(ctx, id, { color: null })).toMatchObject({ color: null });
  });

  it("answers DUPLICATE_NAME, VALIDATION_ERROR and CATEGORY_NOT_FOUND", async () => {
    const ctx = await freshUser();
    const { id } = await createCategory(ctx, { name: "Work" });
    await createCategory(ctx, { name: "Home" });
    await expect(updateCategory(ctx, id, { name: "home" })).rejects.toMatchObject({ code: "DUPLICATE_NAME" });
    await expect(updateCategory(ctx, id, {})).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await expect(updateCategory(ctx, id, { color: "#12345" })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    for (const missing of ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "'; drop table tasks; --"]) {
      await expect(updateCategory(ctx, missing, { name: "x" })).rejects.toMatchObject({
        code: "CATEGORY_NOT_FOUND",
      });
      await expect(deleteCategory(ctx, missing)).rejects.toMatchObject({ code: "CATEGORY_NOT_FOUND" });
    }
  });

  it("deleting leaves its tasks uncategorised, counts them, and emits no event", async () => {
    const ctx = await freshUser();
    const { id } = await createCategory(ctx, { name: "Work" });
    const tasks = [
      await insertTask(db.sql, ctx.user, { categoryId: id }),
      await insertTask(db.sql, ctx.user, { categoryId: id }),
    ];
    const eventsBefore = (await outboxEvents(db.sql)).length;
    expect(await deleteCategory(ctx, id)).toEqual({ id, name: "Work", tasks_affected: 2 });
    const rows = await db.sql`select category_id, version from tasks where id = any(${tasks}::uuid[])`;
    expect(rows.map((r) => [r.category_id, r.version])).toEqual([
      [null, 1],
      [null, 1],
    ]);
    expect((await outboxEvents(db.sql)).length).toBe(eventsBefore);
    await expect(deleteCategory(ctx, id)).rejects.toMatchObject({ code: "CATEGORY_NOT_FOUND" });
  });
});
