// Progress saved per user: which labs a learner finished, where they stopped, and the exercises they
// got right, in the XDG state folder ($XDG_STATE_HOME/netlab/progress.json, by default
// ~/.local/state/netlab/progress.json; NETLAB_STATE_DIR overrides the folder). `netlab lab list` shows
// it; a guided run updates it as it goes. A file that cannot be read or written never stops a lab.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ExerciseOutcome } from './exercise-run.ts';
import type { ProgressSink } from './runner.ts';
import type { LabInfo } from './types.ts';

export interface LabProgress {
  /** Ran to its last step. */
  done: boolean;
  /** The next place to go on from (0-based plan position), when not done. */
  next?: number;
  total: number;
  /** Titles of the exercises answered right. */
  right: string[];
  /** ISO time of the last change. */
  updated: string;
}

export interface Progress {
  version: 1;
  labs: Record<string, LabProgress>;
}

export interface StateEnv {
  readonly NETLAB_STATE_DIR?: string;
  readonly XDG_STATE_HOME?: string;
  readonly HOME?: string;
}

/** The progress file for this user. */
export function progressPath(env: StateEnv = process.env): string {
  if (env.NETLAB_STATE_DIR !== undefined && env.NETLAB_STATE_DIR !== '') return join(env.NETLAB_STATE_DIR, 'progress.json');
  const base = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== '' ? env.XDG_STATE_HOME : join(env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'netlab', 'progress.json');
}

const empty = (): Progress => ({ version: 1, labs: {} });

/** Reads the progress file; a missing or unreadable one is no progress. */
export function loadProgress(path: string): Progress {
  try {
    const p = JSON.parse(readFileSync(path, 'utf8')) as Partial<Progress>;
    if (p.version !== 1 || typeof p.labs !== 'object' || p.labs === null) return empty();
    return { version: 1, labs: p.labs };
  } catch {
    return empty();
  }
}

/** Writes the file whole (a temporary file renamed over it). */
export function saveProgress(path: string, progress: Progress): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(tmp, path);
}

/** One line for `lab list`: `done`, `stopped at 4/9`, the exercises right, or '' when never started. */
export function progressText(p: LabProgress | undefined, exercises?: number): string {
  if (p === undefined) return '';
  const turns = p.right.length > 0 ? `, ${p.right.length}${exercises === undefined ? '' : `/${exercises}`} your turns right` : '';
  return p.done ? `done${turns}` : `stopped at ${(p.next ?? 0) + 1}/${p.total}${turns}`;
}

/** A progress sink that keeps the file up to date; `last` is where the run is (for Ctrl-C). */
export class ProgressFile implements ProgressSink {
  private readonly progress: Progress;
  last: { lab: LabInfo; position: number; total: number } | undefined;

  constructor(readonly path: string) {
    this.progress = loadProgress(path);
  }

  get labs(): Readonly<Record<string, LabProgress>> {
    return this.progress.labs;
  }

  private entry(lab: LabInfo, total: number): LabProgress {
    const e = this.progress.labs[lab.name] ?? { done: false, total, right: [], updated: '' };
    e.total = total;
    this.progress.labs[lab.name] = e;
    return e;
  }

  private save(): void {
    try {
      saveProgress(this.path, this.progress);
    } catch {
      // Progress is a convenience: a read-only home must not stop a lab.
    }
  }

  item(lab: LabInfo, position: number, total: number, outcome: ExerciseOutcome | 'done', title: string): void {
    this.last = { lab, position, total };
    const e = this.entry(lab, total);
    if (outcome === 'quit') {
      e.next = position;
    } else {
      e.next = position + 1 < total ? position + 1 : undefined;
      if (outcome === 'right') {
        if (!e.right.includes(title)) e.right.push(title);
      }
    }
    e.updated = new Date().toISOString();
    this.save();
  }

  labDone(lab: LabInfo, _passed: number, _failed: number, stopped: boolean): void {
    const e = this.entry(lab, this.progress.labs[lab.name]?.total ?? 0);
    if (!stopped) {
      e.done = true;
      e.next = undefined;
    }
    e.updated = new Date().toISOString();
    this.save();
  }
}
