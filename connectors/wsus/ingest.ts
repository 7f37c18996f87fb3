/**
 * How the WSUS collector's uploads come in: the ingest hook the core's `POST /ingest/:instanceId` route (and its
 * older alias `POST /ingest/wsus/:instanceId`, which the collector script posts to) runs for a WSUS instance.
 */
import type { IngestHook, UploadArrayCollector } from '../sdk/contract';
import type { WsusConfig } from './config';
import { checkEnvelope, collectInstallations } from './envelope';

export const wsusIngest: IngestHook<WsusConfig> = {
  contentTypes: ['application/json'],
  sender: 'wsus collector',
  instanceNoun: 'WSUS',
  host: 'WSUS host',
  // An instance reading SUSDB itself takes no uploads: it has no key, and the route answers as for a wrong one.
  ingestKey: (settings) => ((settings.source ?? 'collector') === 'collector' && typeof settings.ingestKey === 'string' ? settings.ingestKey : undefined),
  collectArrays: {
    // The rows that are most of a snapshot (1.76 million at 20,000 computers) are kept as columns as they are parsed.
    '$.rows.installations': collectInstallations,
    // Collected only so that the route reads their flat objects straight from the bytes (ten times the generic
    // tokenizer's speed); `accept` gets the same arrays.
    '$.rows.computerTargets': keptAsParsed,
    '$.rows.groupMemberships': keptAsParsed,
  },
  async accept(upload) {
    const envelope = await checkEnvelope(upload);
    return { payload: envelope, generatedAt: new Date(envelope.generatedAt), sentFrom: envelope.server.name };
  },
};

/** An array's elements, kept as the parser gave them, in their places. */
function keptAsParsed(): UploadArrayCollector {
  const elements: unknown[] = [];
  return {
    add: (element, index) => void (elements[index] = element),
    finish: () => elements,
  };
}
