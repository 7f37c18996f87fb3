// Types of readme-examples.js, which stays JavaScript so that it runs against a server without a build.
export interface ReadmeExample {
  /** The line of the example's ```graphql fence in README.md. */
  line: number;
  query: string;
  variables?: Record<string, unknown>;
  /** The answer the README shows. */
  expected: unknown;
}
export const RULES: string[];
export function extractExamples(markdown: string): ReadmeExample[];
export function exampleName(example: ReadmeExample): string;
export function resolveVariables(example: ReadmeExample, earlierAnswers: unknown[]): Record<string, unknown> | undefined;
export function compareAnswer(expected: unknown, actual: unknown): string[];
export function formatAnswer(value: unknown, width?: number): string;
export function normaliseString(s: string): string;
