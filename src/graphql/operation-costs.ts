import { DocumentNode } from 'graphql';

// Variables whose text is longer are estimated every time: a key that size is no longer cheaper than the estimate.
const MAX_KEY_LENGTH = 1_024;
// Per document, so that a client sending one document with ever new variables cannot grow the map without end.
const MAX_COSTS_PER_DOCUMENT = 64;

/**
 * Estimated costs of operations, per parsed document (Apollo hands the same document object to every request with
 * the same query text) and per operation name and variables, on which the estimate depends (page sizes). The
 * estimate walked the whole operation on every request, a thirtieth of a nested portal page's CPU.
 */
export class OperationCosts {
  private readonly byDocument = new WeakMap<DocumentNode, Map<string, number>>();

  get(document: DocumentNode, operationName: string | null | undefined, variables: unknown): number | undefined {
    const key = keyOf(operationName, variables);
    return key === null ? undefined : this.byDocument.get(document)?.get(key);
  }

  set(document: DocumentNode, operationName: string | null | undefined, variables: unknown, cost: number): void {
    const key = keyOf(operationName, variables);
    if (key === null) return;
    let costs = this.byDocument.get(document);
    if (!costs) this.byDocument.set(document, (costs = new Map()));
    if (costs.size >= MAX_COSTS_PER_DOCUMENT) costs.delete(costs.keys().next().value!);
    costs.set(key, cost);
  }
}

function keyOf(operationName: string | null | undefined, variables: unknown): string | null {
  const key = JSON.stringify([operationName ?? null, variables ?? null]);
  return key.length > MAX_KEY_LENGTH ? null : key;
}
