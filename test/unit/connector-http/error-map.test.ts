import {
  AuthError,
  ConfigError,
  ConnectorError,
  FatalError,
  MalformedResponseError,
  RateLimitedError,
  TransientError,
} from '../../../connectors/sdk/errors';
import { classify, HttpOutcome } from '../../../connectors/sdk/http/error-map';

describe('error map: what the client does with each answer', () => {
  it.each<[HttpOutcome, string, string | undefined]>([
    [{ status: 200 }, 'SUCCEED', undefined],
    [{ status: 204 }, 'SUCCEED', undefined],
    [{ status: 401 }, 'REFRESH_TOKEN_THEN_RETRY', 'auth'],
    [{ status: 403 }, 'FAIL', 'auth'],
    [{ status: 404 }, 'FAIL', 'fatal'],
    [{ status: 408 }, 'RATE_LIMITED', 'transient'],
    [{ status: 429 }, 'RATE_LIMITED', 'rate_limited'],
    [{ status: 500 }, 'RETRY', 'transient'],
    [{ status: 502 }, 'RETRY', 'transient'],
    [{ status: 503 }, 'RETRY', 'transient'],
    [{ status: 504 }, 'RETRY', 'transient'],
    [{ failure: 'network' }, 'RETRY', 'transient'],
    [{ failure: 'timeout' }, 'RETRY', 'transient'],
    [{ status: 400 }, 'FAIL', 'fatal'],
    [{ status: 409 }, 'FAIL', 'fatal'],
    [{ status: 422 }, 'FAIL', 'fatal'],
    [{ status: 501 }, 'FAIL', 'fatal'],
    [{ status: 304 }, 'FAIL', 'fatal'],
  ])('%j -> %s (%s)', (outcome, action, errorKind) => {
    const c = classify(outcome);
    expect(c.action).toBe(action);
    expect(c.errorKind).toBe(errorKind);
    expect(c.reason).toEqual(expect.any(String));
  });

  it('refreshes the token on a 401 only once: after a refresh a 401 fails as an auth error', () => {
    expect(classify({ status: 401 }, { tokenRefreshed: false }).action).toBe('REFRESH_TOKEN_THEN_RETRY');
    expect(classify({ status: 401 }, { tokenRefreshed: true })).toMatchObject({ action: 'FAIL', errorKind: 'auth' });
  });

  it('is pure: the context of one call does not leak into the next', () => {
    classify({ status: 401 }, { tokenRefreshed: true });
    expect(classify({ status: 401 }).action).toBe('REFRESH_TOKEN_THEN_RETRY');
  });
});

describe('connector errors', () => {
  it('carry a kind the sync engine can switch on, and say whether a retry later may help', () => {
    const cases: Array<[ConnectorError, string, boolean]> = [
      [new ConfigError('clientSecret', 'is required'), 'config', false],
      [new AuthError('refused'), 'auth', false],
      [new RateLimitedError('slow down', 30_000), 'rate_limited', true],
      [new TransientError('503'), 'transient', true],
      [new MalformedResponseError('not JSON'), 'malformed_response', false],
      [new FatalError('404'), 'fatal', false],
    ];
    for (const [error, kind, retryable] of cases) {
      expect(error).toBeInstanceOf(ConnectorError);
      expect(error).toBeInstanceOf(Error);
      expect(error.kind).toBe(kind);
      expect(error.retryable).toBe(retryable);
    }
  });

  it('ConfigError names the field in its message and as a property', () => {
    const error = new ConfigError('tenantId', 'is required');
    expect(error.field).toBe('tenantId');
    expect(error.message).toBe('tenantId: is required');
    expect(error.name).toBe('ConfigError');
  });

  it('keep status, vendor code, request id and Retry-After, and serialise without stack or cause', () => {
    const error = new RateLimitedError('throttled', 7000, { status: 429, vendorCode: 'TooManyRequests', requestId: 'r-1', cause: new Error('inner') });
    expect(error).toMatchObject({ status: 429, vendorCode: 'TooManyRequests', requestId: 'r-1', retryAfterMs: 7000 });
    expect(error.cause).toBeInstanceOf(Error);
    const json = error.toJSON();
    expect(json).toEqual({
      name: 'RateLimitedError',
      kind: 'rate_limited',
      message: 'throttled',
      status: 429,
      vendorCode: 'TooManyRequests',
      requestId: 'r-1',
      retryAfterMs: 7000,
    });
    expect(JSON.stringify(error)).not.toContain('inner');
  });
});
