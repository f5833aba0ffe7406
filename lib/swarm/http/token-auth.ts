/**
 * The one check in front of everything the stack serves over HTTP (the CLI's API and the dashboard):
 * a bearer token, compared in constant time. Browsers cannot send a header from an address bar, so the
 * dashboard can also be opened once with `?token=…`, which sets an HttpOnly cookie and redirects to the
 * same page without the token in its address (and so out of the history and any Referer header).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

const COOKIE = 'inet_swarm_token';

/** Equal-length digests, so the comparison time reveals nothing about the token. */
function sameToken(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function cookieToken(request: Request): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(value.join('='));
  }
  return null;
}

function bearerToken(request: Request): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

export function tokenAuth(expected: string): RequestHandler {
  if (expected.length < 16) throw new Error('the gateway token must be at least 16 characters');
  return (request: Request, response: Response, next: NextFunction) => {
    const queryToken = typeof request.query.token === 'string' ? request.query.token : null;
    if (queryToken !== null && request.method === 'GET') {
      if (!sameToken(queryToken, expected)) {
        response.status(401).json({ error: 'Unauthorized', message: 'wrong token' });
        return;
      }
      const url = new URL(request.originalUrl, 'http://gateway');
      url.searchParams.delete('token');
      response.cookie(COOKIE, queryToken, { httpOnly: true, sameSite: 'strict', path: '/' });
      response.redirect(303, `${url.pathname}${url.search}`);
      return;
    }
    const given = bearerToken(request) ?? cookieToken(request);
    if (given === null || !sameToken(given, expected)) {
      response
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json({ error: 'Unauthorized', message: given === null ? 'a token is required' : 'wrong token' });
      return;
    }
    next();
  };
}
