/**
 * Log formats: JSON for machines unless stdout is a terminal (or LOG_FORMAT says otherwise), and secrets redacted in
 * both. The terminal itself is checked by hand; a destination stands for stdout here.
 */
import { Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../../src/config/config';
import { createLogger, prettyLogs } from '../../src/server/logger';
import { ENGINE } from '../helpers/database';

const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

function sink() {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _e, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) });
  return { lines, stream };
}

describeOnSqlite('logs', () => {
  it('are readable lines on a terminal and JSON elsewhere, unless LOG_FORMAT says which', () => {
    expect(prettyLogs('auto', true)).toBe(true);
    expect(prettyLogs('auto', false)).toBe(false);
    expect(prettyLogs('json', true)).toBe(false);
    expect(prettyLogs('pretty', false)).toBe(true);
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'text' })).toThrow(new ConfigError('LOG_FORMAT', 'must be one of auto, json, pretty, got "text"'));
  });

  it('stay JSON lines by default, which the CI smoke test greps', () => {
    const { lines, stream } = sink();
    createLogger(loadConfig({}), stream).info('shut down');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"msg":"shut down"');
  });

  it('are one short line a record when pretty, with the same redaction', () => {
    const { lines, stream } = sink();
    const logger = createLogger(loadConfig({ LOG_FORMAT: 'pretty' }), stream);
    logger.warn({ connectorInstanceId: 'c1', settings: { apiKey: 'SIMKEY-SECRET', clientSecret: 'hunter2' } }, 'sync failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: sync failed \{"connectorInstanceId":"c1","settings":\{"apiKey":"\[redacted\]","clientSecret":"\[redacted\]"\}\}$/);
    expect(lines[0]).not.toContain('service');
  });
});
