import { CompiledQuery, SqliteAdapter, type Compilable, type DialectAdapter, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.js';

/** The SQL texts of prepared queries compiled for PostgreSQL, and the statement name each runs under. */
const postgresNames = new Map<string, string>();

/** The name a PostgreSQL connection prepares this SQL text under, if it is a prepared query's. */
export function preparedStatementName(sql: string): string | undefined {
  return postgresNames.get(sql);
}

interface Compiled {
  sql: string;
  /** The parameters as compiled, with each placeholder's value to be put in at its positions. */
  template: unknown[];
  slots: { index: number; name: string }[];
  sqlite: boolean;
  /** Whether the parameters are exactly the placeholders in a given order (checked on first use). */
  inOrder?: boolean;
}

/** Stands for a value given at run time; unlikely in any real value. */
const placeholder = (name: string): string => `\u0000wuts-param:${name}\u0000`;

/**
 * A hot-path query built with Kysely and compiled once per database: each call only binds its
 * values and runs it (building and compiling a query costs more than running most of WUTS's
 * statements). On PostgreSQL the statement is also prepared once per connection, by name
 * (see `preparedStatementName`); SQLite's statement cache does that for every text.
 *
 * `build` gets a placeholder for every parameter name and must use each of them as a bound
 * value (not in an `in` list, whose length varies, nor as an identifier).
 */
export class PreparedQuery<P extends string, R> {
  private readonly compiled = new WeakMap<DialectAdapter, Compiled>();

  constructor(
    private readonly names: readonly P[],
    private readonly build: (db: Kysely<Database>, p: Record<P, never>) => Compilable<R>,
  ) {}

  async execute(db: Kysely<Database>, values: Record<P, unknown>): Promise<QueryResult<R>> {
    const compiled = this.compiledFor(db);
    const parameters = compiled.template.slice();
    for (const slot of compiled.slots) {
      const value = values[slot.name as P];
      parameters[slot.index] = compiled.sqlite && typeof value === 'boolean' ? (value ? 1 : 0) : value;
    }
    return db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters));
  }

  /**
   * Runs with the parameters given in the order the SQL binds them, when every bound value is a
   * placeholder (no constant), as in a plain multi-row insert; checked once against `order`.
   */
  async executeInOrder(db: Kysely<Database>, order: readonly P[], parameters: unknown[]): Promise<QueryResult<R>> {
    const compiled = this.compiledFor(db);
    if (compiled.inOrder === undefined) {
      compiled.inOrder = compiled.slots.length === compiled.template.length && compiled.slots.every((s, i) => s.index === i && s.name === order[i]);
    }
    if (!compiled.inOrder) throw new Error(`prepared query: its parameters are not bound in the order given: ${compiled.sql}`);
    if (compiled.sqlite) for (let i = 0; i < parameters.length; i++) if (typeof parameters[i] === 'boolean') parameters[i] = parameters[i] ? 1 : 0;
    return db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters));
  }

  async rows(db: Kysely<Database>, values: Record<P, unknown>): Promise<R[]> {
    return (await this.execute(db, values)).rows;
  }

  async first(db: Kysely<Database>, values: Record<P, unknown>): Promise<R | undefined> {
    return (await this.execute(db, values)).rows[0];
  }

  /** Rows written (inserted, updated or deleted) by the statement. */
  async affected(db: Kysely<Database>, values: Record<P, unknown>): Promise<number> {
    return Number((await this.execute(db, values)).numAffectedRows ?? 0n);
  }

  private compiledFor(db: Kysely<Database>): Compiled {
    const adapter = db.getExecutor().adapter;
    let compiled = this.compiled.get(adapter);
    if (!compiled) {
      compiled = this.compile(db);
      this.compiled.set(adapter, compiled);
    }
    return compiled;
  }

  private compile(db: Kysely<Database>): Compiled {
    const p = Object.fromEntries(this.names.map((n) => [n, placeholder(n)])) as unknown as Record<P, never>;
    const { sql, parameters } = this.build(db, p).compile();
    const byPlaceholder = new Map(this.names.map((n) => [placeholder(n), n as string]));
    const slots: Compiled['slots'] = [];
    parameters.forEach((value, index) => {
      const name = typeof value === 'string' ? byPlaceholder.get(value) : undefined;
      if (name !== undefined) slots.push({ index, name });
    });
    for (const name of this.names) {
      if (!slots.some((s) => s.name === name)) throw new Error(`prepared query: parameter ${name} is not a bound value of: ${sql}`);
    }
    if (sql.includes('\u0000')) throw new Error(`prepared query: a placeholder was put into the SQL text: ${sql}`);
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    if (!sqlite && !postgresNames.has(sql)) postgresNames.set(sql, `wuts_${postgresNames.size + 1}`);
    return { sql, template: [...parameters], slots, sqlite };
  }
}

/**
 * An `insert ... values (...), (...)` of `rows` rows, compiled once per row count: values are
 * bound row by row in `columns` order. `finish` may add what follows the values (an upsert),
 * as long as it binds no value of its own.
 */
export class PreparedMultiInsert<C extends string> {
  private readonly byCount = new Map<number, { query: PreparedQuery<string, unknown>; order: string[] }>();

  constructor(
    private readonly columns: readonly C[],
    private readonly build: (db: Kysely<Database>, rows: Record<C, never>[]) => Compilable<unknown>,
  ) {}

  /** Inserts the rows; a column a row lacks is bound as null. */
  async execute(db: Kysely<Database>, rows: readonly Partial<Record<C, unknown>>[]): Promise<void> {
    if (rows.length === 0) return;
    const parameters: unknown[] = [];
    for (const row of rows) for (const c of this.columns) parameters.push(row[c] ?? null);
    const { query, order } = this.queryFor(rows.length);
    await query.executeInOrder(db, order, parameters);
  }

  private queryFor(count: number): { query: PreparedQuery<string, unknown>; order: string[] } {
    let entry = this.byCount.get(count);
    if (!entry) {
      const order = Array.from({ length: count }, (_, i) => this.columns.map((c) => `${c}.${i}`)).flat();
      const query = new PreparedQuery(order, (db, p) =>
        this.build(
          db,
          Array.from({ length: count }, (_, i) => Object.fromEntries(this.columns.map((c) => [c, p[`${c}.${i}`]])) as Record<C, never>),
        ),
      );
      entry = { query, order };
      this.byCount.set(count, entry);
    }
    return entry;
  }
}
