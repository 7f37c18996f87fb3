import { get } from 'node:http';

export interface Download {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** HTTP trailers, which fetch() does not expose. */
  trailers: Record<string, string | undefined>;
  body: Buffer;
}

/** A GET over node:http, read to the end: status, headers, body and trailers. */
export function download(url: string, key: string | null): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: key ? { authorization: `Bearer ${key}` } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
