/**
 * The values a connector may send are defined once, in the connector contract; the stored entities and the GraphQL
 * API take theirs from it. These checks fail if a second list creeps back in and drifts (a value the API cannot
 * name, or a state a connector sends that the database would hold but the schema would refuse to return).
 */
import { buildSchema, GraphQLEnumType } from 'graphql';
import {
  CLASSIFICATION_VALUES, EVIDENCE_VALUES, OWNERSHIP_VALUES, PATCH_POSTURE_VALUES, PATCH_STATE_VALUES, SEVERITY_VALUES,
} from '../../connectors/sdk/contract';
import { DeviceOwnership, EvidenceKind, PatchPostureStatus, PatchStateValue, Severity, UpdateClassification } from '../../src/entities/enums';
import { printPatchgraphSchema } from '../../src/graphql/schema';

const VOCABULARY: Array<[string, readonly string[], Record<string, string>]> = [
  ['PatchStateValue', PATCH_STATE_VALUES, PatchStateValue],
  ['EvidenceKind', EVIDENCE_VALUES, EvidenceKind],
  ['Severity', SEVERITY_VALUES, Severity],
  ['UpdateClassification', CLASSIFICATION_VALUES, UpdateClassification],
  ['DeviceOwnership', OWNERSHIP_VALUES, DeviceOwnership],
  ['PatchPostureStatus', PATCH_POSTURE_VALUES, PatchPostureStatus],
];

describe('one vocabulary: the contract defines the values, the entities and the API follow', () => {
  const schema = buildSchema(printPatchgraphSchema());

  it.each(VOCABULARY)('%s: the entity enum is the contract list, key for value, in its order', (_name, contract, entity) => {
    expect(Object.keys(entity)).toEqual([...contract]);
    expect(Object.values(entity)).toEqual([...contract]);
    expect(Object.isFrozen(entity)).toBe(true);
  });

  it.each(VOCABULARY)('%s: the GraphQL enum has exactly the contract values, each described', (name, contract) => {
    const type = schema.getType(name);
    expect(type).toBeInstanceOf(GraphQLEnumType);
    const values = (type as GraphQLEnumType).getValues();
    // The emitted schema lists values alphabetically.
    expect(values.map((v) => v.name).sort()).toEqual([...contract].sort());
    expect(values.filter((v) => !v.description).map((v) => v.name)).toEqual([]);
  });
});
