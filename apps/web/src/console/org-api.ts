import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { traceHeaders } from '@mfa/bus';
import { WebEnv } from '../config/web.env';

/** An error answer of the admin API, kept with its status and code for the page that shows it. */
export class OrgApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The admin HTTP API, called server side with the signed-in admin's key (the browser never sees it). */
@Injectable()
export class OrgApi {
  constructor(@Inject(WebEnv) private readonly env: WebEnv) {}

  async json<T>(apiKey: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(apiKey, method, path, body);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** A streamed answer (the CSV report), passed through without buffering. */
  async stream(apiKey: string, path: string): Promise<{ contentType: string; body: Readable }> {
    const res = await this.send(apiKey, 'GET', path);
    return { contentType: res.headers.get('content-type') ?? 'application/octet-stream', body: Readable.fromWeb(res.body as never) };
  }

  private async send(apiKey: string, method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.env.ORG_API_URL}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          // the admin API's span joins this page's trace (tracing on only)
          ...traceHeaders(),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      throw new OrgApiError(503, 'unavailable', 'the admin API did not answer; try again in a moment');
    }
    if (res.ok) return res;
    const err = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new OrgApiError(res.status, err.code ?? 'internal', err.message ?? `the admin API answered ${res.status}`);
  }
}
