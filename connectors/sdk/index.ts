// The connector SDK in one import: `import { HttpClient, Setting, … } from '../sdk'`. connectors/README.md names
// every helper exported here (test/unit/connector-sdk/guide-exports.test.ts holds the two to each other).
export * from './contract';
export { parseConfig, secretNames, Setting, type SettingInfo, type SettingOptions, settingsOf, type SettingType, splitSecrets } from './config';
export { given, HttpUrl, httpUrlProblem, OptionalWholeNumber, Rule, SecureUrl, secureUrlProblem, STALE_AFTER_DAYS } from './config-rules';
export * from './http';
export { batch, eachRecord, inBatches, type RecordBatch, recordsOf, type Streamed } from './record-batch';
export { deviceStates, type DeviceStateList, type DeviceStatesBatch } from './device-states';
export { buildText, parseWindowsVersion, releaseName, type WindowsBuild, windowsName } from './windows-builds';
export { SDK_VERSION } from './version';
export { compactMac } from './mac';
