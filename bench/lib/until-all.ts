import type { AuthorizeReply } from '@mfa/contracts';
import { fmt } from './stats';

/** Polls every id at once until `done(reply)`; the ms from `since` at which each one got there. */
export async function untilAll(
  ids: string[],
  authorize: (id: string) => Promise<AuthorizeReply>,
  since: bigint,
  done: (a: AuthorizeReply) => boolean,
  timeoutMs: number,
  label: string,
): Promise<{ elapsed: number[]; polls: number }> {
  const elapsed: number[] = [];
  let polls = 0;
  await Promise.all(
    ids.map(async (id) => {
      for (;;) {
        const reply = await authorize(id);
        polls++;
        const ms = Number(process.hrtime.bigint() - since) / 1e6;
        if (done(reply)) {
          elapsed.push(ms);
          return;
        }
        if (ms > timeoutMs) throw new Error(`${label} ${id} unchanged ${fmt(ms, 0)} ms after the PUT: ${JSON.stringify(reply)}`);
      }
    }),
  );
  return { elapsed, polls };
}
