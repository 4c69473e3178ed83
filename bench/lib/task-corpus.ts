/**
 * Tasks that read like the ones people give an assistant, seeded with generate_series, for the MCP
 * benchmark: "<verb> <thing>[ <context>]" titles, half of them with a one- or two-sentence description.
 * Things follow a skewed (Zipf-like) frequency, so a few words are everywhere and most are rare, as in
 * real task lists; full-text search then meets realistic selectivity rather than every word at 1/n.
 *
 * One user (the one the benchmark signs in as) owns `userTasks` of the table, spread evenly through it
 * (as a real user's tasks are interleaved with everyone else's over time); the rest belong to
 * `otherUsers` users. That user also files 60 % of its tasks in one of 6 categories and tags 35 % (a
 * tenth with two of 8 tags), so every page the tools return carries categories and tags to load.
 * Random choices are seeded, so every run builds the same table.
 */
import type { Sql, TransactionSql } from "postgres";
import { createUser, issueToken } from "../../functions/_shared/auth/tokens.js";

export interface CorpusSize {
  /** Rows in `tasks`, all users together. */
  tasks: number;
  /** Rows owned by the benchmark's user (at most `tasks`). */
  userTasks: number;
  /** Users owning the other rows. */
  otherUsers: number;
}

export interface Corpus {
  userId: string;
  token: string;
  /** What the benchmark searches for: one word of middling frequency among the things. */
  query: string;
  /** Tasks of the benchmark's user that the query matches (title or description). */
  userMatches: number;
  /** Tasks of every user that the query matches: what a search index without the user must visit. */
  allMatches: number;
  seedSeconds: number;
}

const VERBS = words(
  "Call, Email, Book, Buy, Pay, Review, Prepare, Schedule, Fix, Clean, Send, Finish, Plan, Renew, Cancel, Update, Check, Write, Pick up, Return, Order, Print, Sign, Submit",
);

// Earlier things are more frequent: the index is floor(n · r²) for a uniform r (see THING below).
const THINGS = words(
  "groceries, report, meeting notes, email backlog, laundry, invoice, presentation, budget, car, kitchen, rent, mum, team update, slides, electricity bill, bike, flight, hotel, doctor, birthday present, insurance, taxes, passport, garden, newsletter, contract, phone plan, library books, gym membership, school forms, bank statement, printer, roof, website, quarterly review, landlord, vet, plumber, window cleaner, train tickets, dentist, job application, wedding gift, pharmacy, pension, mortgage, boiler, tax return, conference talk, visa, piano lesson, haircut, optician, accountant, charity donation, parking permit, recycling, smoke alarm, warranty, spare key, lawn mower, dishwasher, chimney, fridge, curtains, passport photos, subscription, broadband, locksmith, solicitor, babysitter, carpet, guitar strings, camera, mattress, bookshelf, notary, orthodontist, tailor, vaccination",
);

// "dentist" is at index 40 of 80: about 0.9 % of titles, and as many again in a description in two.
const QUERY = "dentist";

// Four in sixteen titles have no context.
const CONTEXTS = [
  "",
  "",
  "",
  "",
  ...words(
    "for Monday, before Friday, with Anna, for the team, this week, before the trip, for the kids, at the office, online, tomorrow morning, after lunch, next month",
  ),
].map((context) => (context ? ` ${context}` : ""));

const OPENERS = words(
  "Remember the, Ask about the, Bring the papers for the, Compare prices for the, Follow up on the, Double-check the, Talk to Sam about the, Keep the receipt for the",
);

const AFTERWORDS = [
  "",
  ...sentences(
    "Not urgent. Ideally before the weekend. Number is in the shared contacts. See the email from last week. Takes about an hour. Needs a second look.",
  ),
];

export async function seedCorpus(sql: Sql, size: CorpusSize): Promise<Corpus> {
  if (size.userTasks > size.tasks) throw new Error("userTasks cannot exceed tasks");
  const started = performance.now();
  // The way `taskbeat users create` makes a user and its token.
  const user = await createUser(sql, { email: "bench-assistant@taskbeat.test", timeZone: "Europe/Paris" });
  const token = await issueToken(sql, user.id, "bench");
  // Every stride-th row is the user's, so its tasks are spread through the table (and its pages).
  const stride = Math.max(1, Math.floor(size.tasks / Math.max(1, size.userTasks)));
  await sql.begin(async (tx) => {
    await tx`select setseed(0.42)`;
    // Loading then indexing, as a restore does: building each index once is several times faster
    // than keeping it up to date row by row (the search index above all). Constraint indexes stay.
    const indexes = await tx<{ name: string; definition: string }[]>`
      select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
      from pg_index i
      where i.indrelid = 'tasks'::regclass
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`;
    for (const index of indexes) await tx.unsafe(`drop index ${index.name}`);
    await tx`
      insert into users (email)
      select 'other' || g || '@bench.test' from generate_series(1, ${size.otherUsers}) g`;
    const others = tx`(select array_agg(id) from users where id <> ${user.id})`;
    const pick = (list: readonly string[], r: string) =>
      tx.unsafe(`${arr(list)}[1 + floor(${r} * ${list.length})::int]`);
    // Things: index floor(n · r²), so P(index k) = sqrt((k+1)/n) − sqrt(k/n), falling with k.
    const thing = (r: string) => pick(THINGS, `(${r} * ${r})`);
    await tx`
      insert into tasks (user_id, title, description, completed, completed_at, priority, due_at,
        time_zone, created_at, updated_at)
      select owner,
        ${pick(VERBS, "r1")} || ' ' || ${thing("r2")} || ${pick(CONTEXTS, "r3")},
        case when r4 < 0.5 then ${pick(OPENERS, "r5")} || ' ' || ${thing("r6")} || '. ' || ${pick(AFTERWORDS, "r7")} end,
        r8 < 0.4, case when r8 < 0.4 then created + r9 * interval '30 days' end,
        case when r10 < 0.2 then 'low' when r10 < 0.7 then 'medium' when r10 < 0.92 then 'high' else 'urgent' end,
        case when r11 < 0.5 then created + r9 * interval '60 days' end,
        'Europe/Paris', created, created
      from (
        select
          case when g % ${stride} = 0 and g / ${stride} <= ${size.userTasks} then ${user.id}::uuid
            else (${others})[1 + g % ${size.otherUsers}] end as owner,
          now() - random() * interval '730 days' as created,
          random() as r1, random() as r2, random() as r3, random() as r4, random() as r5, random() as r6,
          random() as r7, random() as r8, random() as r9, random() as r10, random() as r11
        from generate_series(1, ${size.tasks}) g
      ) s`;
    await labelTasks(tx, user.id);
    await tx`set local maintenance_work_mem = '256MB'`;
    for (const index of indexes) await tx.unsafe(index.definition);
  });
  await sql.unsafe("vacuum analyze users, api_tokens, categories, tags, tasks, task_tags");
  const [counts] = await sql<{ user: number; all: number }[]>`
    select count(*) filter (where user_id = ${user.id})::int as user, count(*)::int as all
    from tasks where search @@ websearch_to_tsquery('english', ${QUERY})`;
  return {
    userId: user.id,
    token,
    query: QUERY,
    userMatches: counts?.user ?? 0,
    allMatches: counts?.all ?? 0,
    seedSeconds: (performance.now() - started) / 1000,
  };
}

const CATEGORIES = ["Work", "Home", "Errands", "Health", "Money", "Family"];
const TAGS = ["calls", "waiting", "quick", "weekend", "admin", "shopping", "travel", "someday"];

async function labelTasks(tx: TransactionSql, userId: string): Promise<void> {
  await tx`
    insert into categories (user_id, name, color)
    select ${userId}, name, '#3366' || lpad(to_hex(16 * n), 2, '0')
    from unnest(${CATEGORIES}::text[]) with ordinality as c(name, n)`;
  await tx`insert into tags (user_id, name) select ${userId}, name from unnest(${TAGS}::text[]) as name`;
  await tx`
    update tasks set category_id = (select array_agg(id) from categories where user_id = ${userId})
      [1 + floor(random() * ${CATEGORIES.length})::int]
    where user_id = ${userId} and random() < 0.6`;
  // A second tag on a tenth of the tasks, three places further in the list so it differs from the first.
  await tx`
    insert into task_tags (task_id, tag_id, user_id)
    select t.id, labels.ids[1 + (t.k + 3 * j) % ${TAGS.length}], ${userId}
    from (select id, floor(random() * ${TAGS.length})::int as k, random() as r from tasks where user_id = ${userId}) t,
      (select array_agg(id) as ids from tags where user_id = ${userId}) labels,
      generate_series(0, 1) j
    where t.r < 0.35 and (j = 0 or t.r < 0.1)`;
}

/** "a, b c, d" → ["a", "b c", "d"]: lists of words and phrases stay readable in a few lines. */
function words(list: string): string[] {
  return list.split(", ");
}

/** "One. Two." → ["One.", "Two."] */
function sentences(list: string): string[] {
  return list.split(/(?<=\.) /);
}

/** A text[] literal of constant words (no user input), for picking by index in SQL. */
const arr = (list: readonly string[]) =>
  `(array[${list.map((w) => `'${w.replaceAll("'", "''")}'`).join(", ")}])`;
