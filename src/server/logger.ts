import pino, { Logger } from 'pino';
import { Config } from '../config/config';

/**
 * Structured JSON logs. Authorization headers and anything named like a secret are redacted wherever they appear
 * in a log object, so a key can never reach the log even by accident.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'patchgraph' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', '*.apiKey', '*.clientSecret', '*.token'],
        censor: '[redacted]',
      },
    },
    // Synchronous writes: the last lines before an exit (shutdown, a fatal error) are never lost in a buffer.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
