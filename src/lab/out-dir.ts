// Where a lab's captures go unless --out says otherwise (its own module: `lab list` needs it without
// loading the runner).

export const DEFAULT_OUT = 'netlab-out';
