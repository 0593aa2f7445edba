// What a lab says about itself before it is loaded (labs/info.ts holds one per lab).

/** What `netlab lab list` prints about a lab, and the tour's order key. */
export interface LabInfo {
  /** Short name used on the command line and as the capture folder: `checksums`. */
  readonly name: string;
  /** One line: `The UDP checksum, by hand and on the wire`. */
  readonly title: string;
  /** Rough time for the guided run: `10 min`. */
  readonly duration: string;
  /** What the lab needs from the machine, in words: `loopback TCP sockets`. Empty: nothing. */
  readonly needs: readonly string[];
}
