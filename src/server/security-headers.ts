/**
 * Security headers on every response (helmet). The API answers JSON, so most of them matter for the one HTML page
 * patchgraph serves, GraphiQL: its Content-Security-Policy allows only this server's own scripts, styles, fonts
 * and connections, so nothing on the page can load from or send to anywhere else.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // GraphiQL's editors and React set style attributes at run time; scripts stay restricted.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The API is for the MSP's own portal and tools: nothing needs to frame it.
    xFrameOptions: { action: 'deny' },
  });
}
