/**
 * Reads a Dockerfile into its instructions, stage by stage, the way the tests of the container recipe need it: line
 * continuations joined, comments and parser directives dropped, each instruction's keyword upper-cased. Enough for
 * the checks they make, not a full Dockerfile parser (no heredocs, no escape directive).
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The stage's `AS` name, or its index when unnamed. */
  name: string;
  base: string;
  instructions: Instruction[];
}

export function readDockerfile(path: string): Stage[] {
  const logical = readFileSync(path, 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, base, name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ name: name ?? String(stages.length), base, instructions: [] });
    } else if (stages.length) {
      stages[stages.length - 1].instructions.push({ keyword: upper, args: args.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/** The exec form of CMD, ENTRYPOINT or HEALTHCHECK … CMD: the JSON array of argv. */
export function execForm(args: string): string[] {
  const json = /(\[.*\])\s*$/.exec(args);
  if (!json) throw new Error(`not in exec form: ${args}`);
  return JSON.parse(json[1]) as string[];
}

/** ENV's `NAME=value` pairs (quotes removed), from every ENV of a stage. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const [, name, quoted, bare] of args.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) env[name] = quoted ?? bare;
  }
  return env;
}
