// A tiny lab for the runner tests: it crafts one UDP datagram by hand (no builders, so the runner is
// tested on its own), writes it to a capture and checks a few things about it, one of them wrong
// on purpose when `failing` is set.

import { Writable, PassThrough } from 'node:stream';
import { internetChecksum } from '../../src/wire/checksum.ts';
import { defineLab } from '../../src/lab/define.ts';
import type { AnyLab } from '../../src/lab/types.ts';

/** Ethernet / IPv4 10.0.0.1 -> 10.0.0.2 / UDP 1234 -> 4321, "Hola", UDP checksum 0 (none). */
export function holaFrame(): Uint8Array {
  const eth = [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x08, 0x00];
  const ip = [0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const sum = internetChecksum(Uint8Array.from(ip));
  ip[10] = sum >>> 8;
  ip[11] = sum & 0xff;
  const udp = [0x04, 0xd2, 0x10, 0xe1, 0x00, 0x0c, 0x00, 0x00];
  const data = [...Buffer.from('Hola')];
  return Uint8Array.from([...eth, ...ip, ...udp, ...data]);
}

export interface TinyOptions {
  /** Make the second step's checkpoint fail. */
  failing?: boolean;
  /** Make the second step throw. */
  throwing?: boolean;
  /** Make the second step hang past its timeout. */
  hanging?: boolean;
  name?: string;
  /** Add an exercise after the first step ("what is the UDP length?"). */
  exercise?: boolean;
  /** Make that exercise's grader accept anything (its wrong answer must then be caught). */
  lenient?: boolean;
}

export function tinyLab(o: TinyOptions = {}): AnyLab {
  return defineLab<{ length?: number }>({
    name: o.name ?? 'tiny',
    title: 'A tiny lab for the runner tests',
    duration: '1 min',
    needs: [],
    state: () => ({}),
    exercises: o.exercise
      ? [
          {
            after: 'Craft Hola',
            title: 'The UDP length',
            kind: 'predict',
            expects: 'a number of bytes',
            task: 'What is the UDP length of a datagram carrying "Hola"?',
            grade: (answer, ctx) =>
              o.lenient === true || Number(answer) === ctx.state.length
                ? { correct: true, feedback: `${answer} it is` }
                : { correct: false, feedback: `${answer} is not it` },
            hint: 'The UDP header is 8 bytes.',
            answer: '12: 8 bytes of header and 4 of data.',
            right: (ctx) => String(ctx.state.length),
            wrong: '4',
            reveal: 'The frame says 12.',
          },
        ]
      : undefined,
    steps: [
      {
        title: 'Craft Hola',
        explain: 'A UDP datagram carrying "Hola": 8 bytes of header and 4 of data make a UDP length of 12.',
        run(ctx) {
          const frame = holaFrame();
          const cap = ctx.capture('hola', { filter: 'udp.length == 12', about: 'the datagram' });
          cap.write(frame, { comment: 'Hola' });
          ctx.show.hex(frame, {
            spans: [
              { label: 'ethernet', offset: 0, length: 14 },
              { label: 'ipv4', offset: 14, length: 20 },
              { label: 'udp', offset: 34, length: 8 },
              { label: 'data', offset: 42, length: 4 },
            ],
          });
          ctx.show.table(['field', 'value'], [['UDP length', 12]]);
          const length = (frame[38] << 8) | frame[39];
          ctx.state.length = length;
          ctx.check.equal('UDP length counts the 8-byte header', length, 12);
        },
      },
      {
        title: 'Look again',
        explain: (s) => `The length found in step 1 was ${s.length}.`,
        timeoutMs: o.hanging ? 50 : undefined,
        async run(ctx) {
          if (o.throwing) throw new Error('boom');
          if (o.hanging) await new Promise((r) => setTimeout(r, 400));
          ctx.check.equal('UDP length, seen again', ctx.state.length, o.failing ? 4 : 12);
        },
      },
      {
        title: 'The end',
        explain: 'Nothing more.',
        run(ctx) {
          ctx.check.ok('the lab reached its last step', true, 'step 3 ran');
        },
      },
    ],
  });
}

/** A stdout stand-in that keeps what is written. */
export class Collect extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A stdin stand-in that says it is (or is not) a terminal. */
export function fakeStdin(isTTY: boolean): PassThrough & { isTTY: boolean } {
  const s = new PassThrough() as PassThrough & { isTTY: boolean };
  s.isTTY = isTTY;
  return s;
}
