/**
 * The collector's upload, done from Node: one POST of the gzip snapshot with the headers the PowerShell script sends.
 * The answer's body is parsed as JSON when it is JSON, else kept as text, so a test sees the ingest endpoint's errors.
 */
import http from 'node:http';
import https from 'node:https';

export interface UploadResult {
  status: number;
  body: unknown;
}

export function uploadSnapshot(url: string, key: string, gzipBody: Buffer): Promise<UploadResult> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
  if (!client) return Promise.reject(new Error(`cannot upload to ${target.protocol} URLs, only http: and https:`));
  return new Promise((resolve, reject) => {
    const req = client.request(target, {
      // A connection of its own, as the collector opens one per run: a kept-alive socket left idle while the next
      // snapshot is built (seconds of gzip at 2,000 computers on a busy machine) is closed by the server's
      // keep-alive timeout, and writing the body into it fails with EPIPE.
      agent: false,
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        'Content-Length': String(gzipBody.length),
        Authorization: `Bearer ${key}`,
        'User-Agent': 'patchgraph-wsus-collector/1.0 (simulator)',
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: parsed(text) });
      });
    });
    req.on('error', reject);
    req.end(gzipBody);
  });
}

function parsed(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
