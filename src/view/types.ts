// The JSON the view's server sends and its page reads: one set of types for both sides, so that
// the browser code and the server are checked against the same shapes.

/** GET /api/info: the capture as a whole. */
export interface CaptureInfoJson {
  /** The file name as given on the command line. */
  file: string;
  /** Frames read so far. */
  frames: number;
  /** True while the capture is still being read (the list grows). */
  loading: boolean;
  /** Why reading stopped early (a damaged record), if it did; the frames before it are shown. */
  error?: string;
}

/** One row of the packet list: the frame number and the line `netlab decode` prints for it. */
export interface ListRow {
  no: number;
  /** Exactly the summary line of `netlab decode` (tshark's default output). */
  line: string;
  /** The columns, for the table layout. */
  time: string;
  src: string;
  dst: string;
  protocol: string;
  length: number;
  info: string;
  /** The frame has a malformed layer or a problem (shown in red). */
  bad?: boolean;
}

/** GET /api/list?offset=&limit=&filter=: one page of the (filtered) packet list. */
export interface ListPage {
  /** The filter applied ('' for none). */
  filter: string;
  /** Rows that pass the filter among the frames read so far. */
  total: number;
  /** True while the capture is still being read: `total` will grow. */
  loading: boolean;
  /** Index of the first row of this page among those rows. */
  offset: number;
  rows: ListRow[];
  /** Problems met while filtering (a `matches` pattern abandoned), each once. */
  problems: string[];
}

/** A display filter that did not compile: the message and where in the filter it points. */
export interface FilterErrorJson {
  error: 'filter';
  message: string;
  /** 0-based column of the bad token and its length in characters (absent when no place is known). */
  column?: number;
  length?: number;
  /** The message as `netlab decode -Y` prints it, with the caret line. */
  text: string;
}

/** Any other bad request: the message names what was wrong. */
export interface RequestErrorJson {
  error: 'request';
  message: string;
}

/** One line of the layer tree: as `netlab decode -V` prints it (without the indent), with its bytes. */
export interface TreeNode {
  text: string;
  /** Byte offset in the frame and length; length 0 for generated fields and labels with no bytes. */
  offset: number;
  length: number;
  /** Display-filter name (ip.ttl) or protocol name (ip) for a protocol line. */
  name: string;
  /** True for a protocol's header line. */
  proto?: boolean;
  /** Wireshark's [generated] fields (computed, not on the wire). */
  generated?: boolean;
  children: TreeNode[];
}

/** GET /api/frame?no=N: the tree and the bytes of one frame. */
export interface FrameJson {
  no: number;
  summary: string;
  tree: TreeNode[];
  /** The captured bytes, as lower-case hex (two digits a byte). */
  bytes: string;
  /** Malformed layers, as `layer at offset N: reason`. */
  problems: string[];
}

/** One run of bytes of a followed stream (GET /api/follow): who sent it, in which frame, the bytes. */
export interface FollowChunkJson {
  /** 0: the client (the endpoint that sent the stream's first frame), 1: the server. */
  dir: 0 | 1;
  frame: number;
  /** The bytes as lower-case hex. */
  hex: string;
  /** Decrypted TLS application data (the chunk holds plaintext, not the bytes on the wire). */
  tls?: boolean;
}

/** GET /api/follow?stream=N (or ?frame=N): a TCP stream put back in order, both directions. */
export interface FollowJson {
  stream: number;
  /** `address:port` of each end. */
  client: string;
  server: string;
  /** 'tcp': the TCP payload; 'tls': the decrypted TLS application data. */
  kind: 'tcp' | 'tls';
  chunks: FollowChunkJson[];
  /** Bytes per direction: [client, server]. */
  bytes: [number, number];
  /** Frames of the stream. */
  frames: number[];
  /** Notes: segments dropped as retransmissions, holes never filled, TLS records not decrypted. */
  notes: string[];
  /** True when the stream carries TLS that the key log decrypts (ask again with kind=tls). */
  tlsAvailable?: boolean;
}

/** One arrow of the sequence diagram: a frame from one column to another. */
export interface SequenceArrow {
  /** Index among the (filtered) rows: the same index as the packet list's. */
  index: number;
  no: number;
  time: string;
  from: number;
  to: number;
  /** The short summary: "SYN", "GET /", "200 OK". */
  label: string;
  protocol: string;
  bad?: boolean;
}

/** GET /api/sequence?offset=&limit=&filter=&by=hosts|endpoints: one window of the sequence diagram. */
export interface SequenceJson {
  filter: string;
  by: 'hosts' | 'endpoints';
  /** The columns, in order of first appearance over every row the filter keeps. */
  hosts: string[];
  total: number;
  loading: boolean;
  offset: number;
  arrows: SequenceArrow[];
}
