// Where running netlab processes announce their live frame feeds, so that the Wireshark extcap
// (`netlab extcap`, a separate process started by Wireshark or tshark) can list their segments as
// capture interfaces. One JSON file per feed in the runtime folder; a file whose process has died is
// stale and is removed by whoever lists the folder.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface FeedAnnouncement {
  /** The announcing process. */
  pid: number;
  /** Name of the topology (or lab) the segments belong to: `routing-and-ttl`. */
  topology: string;
  host: string;
  port: number;
  segments: { name: string; description: string }[];
}

/** The folder: NETLAB_RUNTIME_DIR, else $XDG_RUNTIME_DIR/netlab, else TMPDIR/netlab-UID. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NETLAB_RUNTIME_DIR) return env.NETLAB_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'netlab');
  let uid = 'user';
  try {
    uid = String(userInfo().uid);
  } catch {
    // no user database: one folder for all
  }
  return join(tmpdir(), `netlab-${uid}`);
}

/** Writes (or rewrites) a feed's announcement; returns its path. */
export function announce(a: FeedAnnouncement, dir = runtimeDir()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `feed-${a.pid}-${a.port}.json`);
  writeFileSync(path, JSON.stringify(a), { mode: 0o600 });
  return path;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isAnnouncement(v: unknown): v is FeedAnnouncement {
  const o = v as Partial<FeedAnnouncement> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    Number.isInteger(o.pid) &&
    typeof o.topology === 'string' &&
    typeof o.host === 'string' &&
    Number.isInteger(o.port) &&
    Array.isArray(o.segments) &&
    o.segments.every((s) => typeof s?.name === 'string' && typeof s?.description === 'string')
  );
}

/** The live feeds announced in the folder; stale or unreadable files are removed. */
export function listFeeds(dir = runtimeDir()): FeedAnnouncement[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('feed-') && n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: FeedAnnouncement[] = [];
  for (const n of names.sort()) {
    const path = join(dir, n);
    try {
      const a: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (isAnnouncement(a) && alive(a.pid)) out.push(a);
      else rmSync(path, { force: true });
    } catch {
      rmSync(path, { force: true });
    }
  }
  return out;
}

/** The extcap interface name of a segment: `netlab-TOPOLOGY-SEGMENT`, safe characters only. */
export function interfaceName(topology: string, segment: string): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `netlab-${safe(topology)}-${safe(segment)}`;
}

/** Finds the feed and segment behind an interface name. */
export function findInterface(name: string, dir = runtimeDir()): { feed: FeedAnnouncement; segment: string } | undefined {
  for (const feed of listFeeds(dir)) {
    for (const s of feed.segments) if (interfaceName(feed.topology, s.name) === name) return { feed, segment: s.name };
  }
  return undefined;
}
