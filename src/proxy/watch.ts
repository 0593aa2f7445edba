// Reload on file change: watches a config file (and its folder, since editors replace files by
// renaming) and calls back, debounced, when its content changed.

import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export function watchConfigFile(file: string, onChange: () => void, debounceMs = 200): { close: () => void } {
  let last = safeRead(file);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: FSWatcher | undefined;
  const fire = (): void => {
    timer = undefined;
    const now = safeRead(file);
    if (now === undefined || now === last) return;
    last = now;
    onChange();
  };
  try {
    watcher = watch(dirname(file), (_ev, name) => {
      if (name !== null && name !== basename(file)) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    });
  } catch {
    watcher = undefined;
  }
  return {
    close: () => {
      if (timer !== undefined) clearTimeout(timer);
      watcher?.close();
    },
  };
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
