import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino, { Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { Config } from '../config/config';

/** Whether log lines are written for a person: LOG_FORMAT, or by default whether stdout is a terminal. */
export function prettyLogs(format: Config['logFormat'] = 'auto', stdoutIsTerminal = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTerminal);
}

/** Properties of an error object that hold request data rather than describe the fault. */
const REQUEST_DATA_ON_ERRORS = [
  'body', // body-parser: the raw request body, e.g. a mutation with its clientSecret
  'rawBody',
  'parameters', // TypeORM's QueryFailedError: the values bound to the statement, taken from the request
];

/** pino's error serializer, minus the request data some libraries attach to their errors. */
export function serializeError(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error) as unknown;
  if (!serialized || typeof serialized !== 'object') return serialized;
  // Not an Error, the value comes back as it was given: copy it rather than change the caller's object.
  const copy: Record<string, unknown> = serialized === err ? { ...(serialized as Record<string, unknown>) } : (serialized as Record<string, unknown>);
  for (const key of REQUEST_DATA_ON_ERRORS) delete copy[key];
  return copy;
}

/**
 * Structured logs. Authorization headers and anything named like a secret are redacted wherever they appear in a
 * log object, so a key can never reach the log even by accident; redaction happens before either format is written.
 *
 * JSON lines by default, for log collectors and for `grep '"msg":"shut down"'`. On a terminal each line is a short
 * human-readable one instead: a start-up writes a few dozen records, and as JSON they wrap into a hundred rows that
 * push the one-time admin key banner out of sight.
 */
export function createLogger(config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logFormat'>>, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: 'patchgraph' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', '*.apiKey', '*.clientSecret', '*.token'],
      censor: '[redacted]',
    },
  };
  // A destination given (tests, tools) is not a terminal: JSON unless LOG_FORMAT=pretty.
  const terminal = destination === undefined && process.stdout.isTTY === true;
  if (prettyLogs(config.logFormat, terminal)) {
    return pino(
      options,
      pinoPretty({
        // Synchronous, in this thread: the last lines before an exit are never lost, as with the JSON destination.
        sync: true,
        // On a terminal each record first clears the line it starts on: `patchgraph sync` redraws a progress line
        // there and leaves the cursor at its end.
        destination: destination ?? (terminal ? new Writable({ write: (chunk, _encoding, done) => (writeSync(1, `\r\x1b[2K${chunk}`), done()) }) : 1),
        colorize: terminal,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname,service',
      }),
    );
  }
  // Synchronous writes: the last lines before an exit (shutdown, a fatal error) are never lost in a buffer.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
