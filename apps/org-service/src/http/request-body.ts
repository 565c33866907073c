import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ErrorCodes, MAX_BULK_MEMBERS, MAX_GROUP_MEMBER_CHANGES } from '@mfa/contracts';
import { bodyRefused, jsonBodyErrors } from '@mfa/observability';
import { ApiKeyService } from '../api-keys/api-key.service';
import { principalOfHeader } from '../auth/bearer';
import type { AuthenticatedRequest } from '../auth/principal';
import { HttpErrorFilter } from './http-error.filter';
import { jsonShapeProblem, type JsonShapeLimits } from './json-shape';

export const BODY_LIMIT_BYTES = 64 * 1024;
export const BULK_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/**
 * Bulk imports one process reads and validates at once: one peaks near 70 MB of heap (10,000
 * rows, every one invalid), so a few at once must stay under the 128 MB old space.
 */
export const MAX_BULK_IN_FLIGHT = 2;
/** Our DTOs are at most 4 levels deep; class-transformer recurses, so depth must stay small. */
export const MAX_JSON_DEPTH = 32;

/** The API proper: a key is checked before a byte of the body is read. Other paths (/health, /metrics, /docs, unknown ones) get no body at all. */
const API_PATH = /^\/v1(?:\/|$)/i;
const BULK_PATH = /^\/v1\/orgs\/[^/]+\/members\/bulk\/?$/i;
/** `PUT .../groups/:groupId/members`: up to 10,000 ids (about 400 KB) in `add` and `remove`. */
const GROUP_MEMBERS_PATH = /^\/v1\/orgs\/[^/]+\/groups\/[^/]+\/members\/?$/i;
export const GROUP_MEMBERS_BODY_LIMIT_BYTES = 1024 * 1024;

interface BodyRule {
  limitBytes: number;
  shape: JsonShapeLimits;
}
const DEFAULT_RULE: BodyRule = {
  limitBytes: BODY_LIMIT_BYTES,
  shape: { maxDepth: MAX_JSON_DEPTH, maxContainers: Number.MAX_SAFE_INTEGER },
};
// a valid bulk body is one object, one array and a flat object per row: more containers than
// that can only be refused, so they are refused before JSON.parse builds them
const BULK_RULE: BodyRule = { limitBytes: BULK_BODY_LIMIT_BYTES, shape: { maxDepth: MAX_JSON_DEPTH, maxContainers: MAX_BULK_MEMBERS + 2 } };

// one object and two arrays of strings: any other container can only be refused
const GROUP_MEMBERS_RULE: BodyRule = { limitBytes: GROUP_MEMBERS_BODY_LIMIT_BYTES, shape: { maxDepth: 2, maxContainers: 3 } };

const isBulk = (req: Request) => req.method === 'POST' && BULK_PATH.test(req.path);
const isGroupMembers = (req: Request) => req.method === 'PUT' && GROUP_MEMBERS_PATH.test(req.path);

function sendError(res: Response, statusCode: number, code: string, message: string): void {
  res.status(statusCode).json({ statusCode, code, message });
}

function jsonParser(rule: BodyRule): RequestHandler {
  return json({
    limit: rule.limitBytes,
    verify: (_req, _res, buf, encoding) => {
      // the shape scan reads ASCII bytes, which is only sound on UTF-8
      if (encoding.toLowerCase() !== 'utf-8') throw bodyRefused('request body must be UTF-8 JSON');
      const problem = jsonShapeProblem(buf, rule.shape);
      if (problem?.kind === 'depth') throw bodyRefused(`request body is nested deeper than ${problem.limit} levels`);
      if (problem && rule === GROUP_MEMBERS_RULE) throw bodyRefused('add and remove must be arrays of account ids');
      if (problem)
        throw bodyRefused(
          `members must contain no more than ${MAX_BULK_MEMBERS} elements (the body holds more than ${problem.limit} objects and arrays)`,
        );
    },
  });
}

/**
 * The admin API reads a body only from a caller whose key is known: authenticate (one key
 * lookup, reused by ApiKeyGuard), then parse JSON under the route's size and shape limits.
 * Replaces the shared bootstrap's parser, which would parse first.
 */
export function readBodiesAfterAuth(app: NestExpressApplication): void {
  const apiKeys = app.get(ApiKeyService);
  const errors = new HttpErrorFilter();
  const small = jsonParser(DEFAULT_RULE);
  const bulk = jsonParser(BULK_RULE);
  const groupMembers = jsonParser(GROUP_MEMBERS_RULE);
  let bulkInFlight = 0;

  app.use(async (req: Request & AuthenticatedRequest, res: Response, next: NextFunction) => {
    if (!API_PATH.test(req.path)) return next();
    try {
      req.principal = await principalOfHeader(apiKeys, req.headers.authorization);
    } catch (err) {
      // the body is left unread (Node discards it); no route is reached
      const body = errors.toBody(err);
      return sendError(res, body.statusCode, body.code, body.message);
    }
    if (isGroupMembers(req)) return groupMembers(req, res, next);
    if (!isBulk(req)) return small(req, res, next);
    if (bulkInFlight >= MAX_BULK_IN_FLIGHT) {
      res.setHeader('retry-after', '1');
      return sendError(res, 429, ErrorCodes.RateLimited, `at most ${MAX_BULK_IN_FLIGHT} bulk imports at a time; retry shortly`);
    }
    bulkInFlight++;
    res.once('close', () => bulkInFlight--);
    bulk(req, res, next);
  });

  app.use(jsonBodyErrors());

  // rows of scalars (`[0,0,...]`) pass the container count; refuse them before
  // class-transformer builds a DTO per row
  app.use((req: Request, res: Response, next: NextFunction) => {
    const rows = isBulk(req) ? (req.body as { members?: unknown } | undefined)?.members : undefined;
    if (Array.isArray(rows) && rows.length > MAX_BULK_MEMBERS) {
      return sendError(res, 400, ErrorCodes.ValidationFailed, `members must contain no more than ${MAX_BULK_MEMBERS} elements`);
    }
    // a membership change counts its ids before the DTO validates each of them
    if (isGroupMembers(req)) {
      const body = req.body as { add?: unknown; remove?: unknown } | undefined;
      const n = (Array.isArray(body?.add) ? body.add.length : 0) + (Array.isArray(body?.remove) ? body.remove.length : 0);
      if (n > MAX_GROUP_MEMBER_CHANGES) {
        const message = `add and remove must hold no more than ${MAX_GROUP_MEMBER_CHANGES} ids in all`;
        res
          .status(400)
          .json({ statusCode: 400, code: ErrorCodes.ValidationFailed, message, details: [{ field: 'add', problems: [message] }] });
        return;
      }
    }
    next();
  });
}
