// The lab API, for lab files in labs/. A lab is a list of steps; each step explains (with the
// numbers of its example), does something real, shows it and checks it:
//
//   import { defineLab, hex16 } from '../src/lab/index.ts';
//   import { encode, ethernet, ipv4, udp, payload } from '../src/wire/index.ts';
//
//   export default defineLab<{ sum?: number }>({
//     name: 'checksums',
//     title: 'The UDP checksum, by hand and on the wire',
//     duration: '10 min',
//     needs: [],
//     state: () => ({}),
//     steps: [
//       {
//         title: 'A bad checksum on the wire',
//         explain: 'UDP 1234 -> 53 carrying "Hola", with checksum 0xdead on purpose.',
//         run(ctx) {
//           const frame = encode([ethernet({...}), ipv4({...}), udp({ sport: 1234, dport: 53, checksum: 0xdead }), payload('Hola')]);
//           const cap = ctx.capture('bad-udp', { filter: 'udp.checksum.status == 0', about: 'the datagram with the bad checksum' });
//           cap.write(frame);
//           ctx.show.hex(frame);                                      // layer spans coloured
//           ctx.check.equal('UDP length counts the 8-byte header', (frame[38] << 8) | frame[39], 12);
//         },
//       },
//     ],
//   });
//
// Real sockets: `const tap = ctx.tap('echo', { filter: 'tcp.stream == 0' })`, then `tap.tcp(socket)` on
// each connection (client side: right after net.connect) and `tap.udp(socket)`; close the sockets
// and servers in the step (ctx.onStepEnd helps), `await tap.close()` before reading `tap.frames`.
// Every socket binds to 127.0.0.0/8 or ::1, port 0. Use ctx.clock and ctx.random for anything
// time- or chance-dependent, so that `npm run fixtures` gives the same bytes everywhere.

export { defineLab } from './define.ts';
export type { AnyLab, CaptureFilter, CaptureOptions, Lab, LabCapture, LabInfo, LabTap, Show, Step, StepContext } from './types.ts';
export { hex16, hex32, type Check, type CheckResult, type Formatter } from './checkpoint.ts';
export { elapsedMs, type Clock, type Timestamp } from '../base/clock.ts';
export type { Random } from '../base/random.ts';
export type { SequenceMessage, SequenceSpec } from './sequence.ts';
export type { ByteSpan, HexOptions } from './hexview.ts';
export type { Cell, TableOptions } from './table.ts';
export { runLabs, DEFAULT_OUT, type RunOptions, type RunSummary, type LabResult } from './runner.ts';
export { entryOf, loadLabs, selectLabs, validateCatalogue, UnknownLabError, type LabEntry } from './registry.ts';
export { tcpFlowDiagram, tcpSegments, flagNames, type FlowFrame, type TcpFlowOptions } from './tcp-flow.ts';
export type { Exercise } from './exercise.ts';
export { gradeNumber } from './exercise.ts';
export { filterExercise } from './filter-exercise.ts';
export { selectedFrames } from './filter-exercise.ts';
export { STATUS_NAME } from './tshark.ts';
export { tsharkFields } from './tshark.ts';
export { tsharkInstalled } from './tshark.ts';
export { captureFields } from './filter-exercise.ts';
export { parseNumber } from './exercise.ts';
export { firstValue } from './filter-exercise.ts';
export { CHECKSUM_PREFS } from './tshark.ts';
export { fieldValues } from './filter-exercise.ts';
export { gradeChoice } from './exercise.ts';
export { displayPath, wiresharkCommand } from './captures.ts';
export { wrapCommand } from './layout.ts';
export {
  barFigure,
  checksumFigure,
  figureText,
  lineFigure,
  treeFigure,
  ttlLeft,
  type BarFigure,
  type ChecksumFigure,
  type Figure,
  type LineFigure,
  type TreeFigure,
  type TreeNode,
  type TreeRecord,
} from './figure.ts';
export { LoopLag, ownTime, runQueueWaitMs, type LagSample, type OwnTime } from './loop-lag.ts';
