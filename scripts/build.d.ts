// Types of build.js, which stays JavaScript because it runs before anything is compiled.
export interface BuildOptions {
  /** The project to build; this one by default. */
  root?: string;
  /** Compile only when the sources differ from the stamp of the last successful build. */
  ifChanged?: boolean;
  stdio?: 'inherit' | 'pipe';
  log?: (line: string) => void;
}
export function build(options?: BuildOptions): 'built' | 'up-to-date';
export function sourceHash(root?: string): string;
export function staleBecause(root?: string, hash?: string): string | null;
export const STAMP: string;
/** The directory a build holds while it compiles (dist/.build-lock). */
export const LOCK: string;
