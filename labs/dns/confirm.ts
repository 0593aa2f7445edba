// The DNS labs' last step: tshark reads each capture a step wrote, and the rows it prints (one per
// frame, the fields asked for) must be the ones the step saw on its sockets.

/** A capture and the rows tshark must show in it. */
export interface Confirm {
  path: string;
  what: string;
  fields: string[];
  filter: (row: string[]) => boolean;
  /** Compare only the first `keep` columns (the rest served the filter). */
  keep?: number;
  expected: string[][];
}
