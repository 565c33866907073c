import { once } from 'node:events';
import { Logger } from '@nestjs/common';
import type { Response } from 'express';

const logger = new Logger('CsvResponse');

/**
 * Streams text chunks into an Express response with backpressure: when the socket's buffer is
 * full we wait for 'drain' before asking for the next page, so a slow client slows the bus
 * calls down instead of filling memory. Headers go out with the first chunk: a failure before
 * it is an ordinary JSON error; after it the connection is cut (a truncated CSV must not look
 * complete). A client that goes away stops the paging.
 */
export async function streamCsv(res: Response, chunks: AsyncGenerator<string>, filename: string): Promise<void> {
  let started = false;
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) break;
      if (!started) {
        res.status(200);
        res.setHeader('Content-Type', 'text/csv; charset=utf-8');
        res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
        res.setHeader('Cache-Control', 'no-store');
        started = true;
      }
      if (!res.write(chunk)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
  } catch (err) {
    if (!started) throw err;
    logger.error(`compliance CSV failed after the first rows: ${err instanceof Error ? err.message : String(err)}`);
    res.destroy(err instanceof Error ? err : new Error(String(err)));
    return;
  } finally {
    await chunks.return(undefined);
  }
  if (!res.destroyed) res.end();
}
