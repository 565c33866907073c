import type { Request, Response } from 'express';

/** Renders a page with what every layout needs (the CSRF token for its forms). */
export function render(req: Request, res: Response, view: string, data: Record<string, unknown>, status = 200): void {
  res.status(status).render(view, { session: null, notice: null, ...data, csrfToken: req.csrfToken?.() ?? '' });
}

/** A form field as one string (a repeated field keeps its first value). */
export function field(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first.trim() : '';
}

/** A repeated form field (checkboxes) as a list. */
export function fields(body: unknown, name: string): string[] {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
}
