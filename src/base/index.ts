// The bottom layer: what every other layer needs and nothing else. Imports nothing of netlab's.
export { elapsedMs, fixedClock, FIXED_START_SEC, FIXED_TICK_NS, realClock, type Clock, type Timestamp } from './clock.ts';
export { cryptoRandom, seededRandom, type Random } from './random.ts';
export { ManualClock, realClock as realTimerClock, type NetClock, type TimerHandle } from './timer-clock.ts';
export { errorCode, errorLine, NetlabError, NetlabRangeError, type ErrorCode, type ErrorDetail, type Layer } from './errors.ts';
