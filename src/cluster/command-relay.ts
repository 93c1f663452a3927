import type { Logger } from 'pino';
import type { Db } from '../db/connect.js';
import type { PgNotifications } from '../db/notifications.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import * as commands from './commands-repo.js';
import { decodeWire, encodeWire } from './wire-json.js';

export const COMMAND_CHANNEL = 'wuts_cluster_commands';
export const ANSWER_CHANNEL = 'wuts_cluster_answers';
/** While an answer is awaited, the row is also read this often (a notification may be missed). */
const ANSWER_POLL_MS = 500;
/** Commands for this node are also looked for this often. */
const COMMAND_POLL_MS = 1000;

export type CommandHandler = (args: unknown) => Promise<unknown>;

/** The call was given up because `abandon` settled first (the device moved to another node). */
export class CommandAbandonedError extends Error {}

type Answer = { ok: unknown } | { error: { status: number; code: string; message: string } };

interface Waiting {
  resolve: (answer: Answer) => void;
}

/**
 * Device commands between nodes, through PostgreSQL: the caller writes the command in
 * `cluster_commands` and notifies; the target runs it and writes the answer, then notifies the
 * caller. Rows are the truth and notifications only wake: a missed one is found by polling.
 * Errors the target answers (AppError) reach the caller's client as they are; a target that
 * does not answer in time gives 503 device_node_unavailable.
 */
export class CommandRelay {
  private readonly waiting = new Map<string, Waiting>();
  /** Command ids being run or run here (notification and poll may both bring one). */
  private readonly taken = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly counters = { sent: 0, served: 0, timedOut: 0 };

  constructor(
    private readonly db: Db,
    private readonly nodeId: string,
    private readonly notifications: PgNotifications,
    private readonly logger: Logger,
    private readonly handlers: Record<string, CommandHandler>,
  ) {}

  start(): void {
    this.unsubscribe.push(
      this.notifications.subscribe(COMMAND_CHANNEL, (payload) => {
        const [target, id] = payload.split(' ');
        if (target === this.nodeId && id) void this.serve(id);
      }),
      this.notifications.subscribe(ANSWER_CHANNEL, (payload) => {
        const [origin, id] = payload.split(' ');
        if (origin === this.nodeId && id) void this.collect(id);
      }),
    );
    const poll = () => {
      this.timer = setTimeout(() => {
        void this.pollCommands().finally(() => !this.stopped && poll());
      }, COMMAND_POLL_MS);
      this.timer.unref();
    };
    poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const off of this.unsubscribe) off();
  }

  /** Runs `kind` on node `target`; answers its result or throws its error (CommandAbandonedError once `abandon` settles). */
  async call(target: string, kind: string, args: unknown, timeoutMs: number, abandon?: Promise<unknown>): Promise<unknown> {
    const id = newId();
    this.counters.sent++;
    const answered = new Promise<Answer>((resolve) => this.waiting.set(id, { resolve }));
    await commands.insertCommand(this.db.kysely, this.db.dialect, { id, target, origin: this.nodeId, kind, argsJson: encodeWire(args), timeoutMs });
    await this.notify(COMMAND_CHANNEL, `${target} ${id}`);
    const poller = setInterval(() => void this.collect(id), ANSWER_POLL_MS);
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timeout = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const answer = await Promise.race([answered, timedOut, ...(abandon ? [abandon.then(() => 'abandoned' as const)] : [])]);
      if (answer === 'abandoned') throw new CommandAbandonedError(`${kind} for ${target} abandoned`);
      if (answer === 'timeout') {
        this.counters.timedOut++;
        throw new AppError(
          503,
          'device_node_unavailable',
          `the node holding this device (${target}) did not answer within ${Math.ceil(timeoutMs / 1000)} s; try again shortly`,
        );
      }
      if ('error' in answer) throw new AppError(answer.error.status, answer.error.code, answer.error.message);
      return answer.ok;
    } finally {
      clearInterval(poller);
      clearTimeout(timeout);
      this.waiting.delete(id);
      await commands.deleteCommand(this.db.kysely, id).catch(() => {});
    }
  }

  /** Tells every node something without an answer (e.g. "look for devices to take"). */
  async broadcast(channel: string, payload: string): Promise<void> {
    await this.notify(channel, payload);
  }

  private async notify(channel: string, payload: string): Promise<void> {
    await commands.notify(this.db.kysely, channel, payload);
  }

  private async collect(id: string): Promise<void> {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    const json = await commands.commandResult(this.db.kysely, id).catch(() => null);
    if (json !== null) waiting.resolve(decodeWire(json) as Answer);
  }

  private async pollCommands(): Promise<void> {
    try {
      for (const id of await commands.openCommandIds(this.db.kysely, this.db.dialect, this.nodeId)) void this.serve(id);
      if (Math.random() < 0.05) await commands.deleteStaleCommands(this.db.kysely, this.db.dialect);
    } catch (err) {
      this.logger.warn({ err }, 'looking for cluster commands failed');
    }
  }

  private async serve(id: string): Promise<void> {
    if (this.taken.has(id) || this.stopped) return;
    this.taken.add(id);
    setTimeout(() => this.taken.delete(id), 120_000).unref();
    try {
      const row = await commands.openCommand(this.db.kysely, this.db.dialect, id);
      if (!row) return;
      const handler = this.handlers[row.kind];
      let answer: Answer;
      try {
        if (!handler) throw new Error(`unknown cluster command ${row.kind}`);
        answer = { ok: (await handler(decodeWire(row.args_json))) ?? null };
      } catch (err) {
        if (err instanceof AppError) answer = { error: { status: err.statusCode, code: err.code, message: err.message } };
        else {
          this.logger.error({ err, kind: row.kind }, 'a cluster command failed');
          answer = { error: { status: 500, code: 'internal', message: 'the node holding the device failed to run the command' } };
        }
      }
      this.counters.served++;
      await commands.answerCommand(this.db.kysely, id, encodeWire(answer));
      await this.notify(ANSWER_CHANNEL, `${row.origin_node} ${id}`);
    } catch (err) {
      this.logger.warn({ err, id }, 'answering a cluster command failed');
    }
  }
}
