import type { Request } from 'express';

/**
 * Cross-site request forgery guard for the page's POSTs, on top of the SameSite=Strict cookie: the form must have
 * been sent from a page of this very origin, as the browser's Origin header (or, failing that, Referer) says. A
 * request with neither is refused: every browser that can show the page sends Origin with a form POST.
 */
export function sentFromThisOrigin(req: Request): boolean {
  const own = `${req.protocol}://${req.host}`;
  const origin = req.get('origin');
  if (origin !== undefined) return origin === own;
  const referer = req.get('referer');
  if (referer === undefined) return false;
  try {
    return new URL(referer).origin === own;
  } catch {
    return false;
  }
}
