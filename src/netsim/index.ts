// The netsim layer's public face: what labs and the layers above import.
export { Host } from './host.ts';
export { memoryLink } from './port.ts';
export type { FrameHandler } from './port.ts';
export type { FramePort } from './port.ts';
export { Router } from './router.ts';
export { FcsNic } from './fcs-nic.ts';
export { ipv4Number } from './host-addr.ts';
export { macText } from './host-addr.ts';
export { NetsimError } from './host-errors.ts';
export { LabNet } from './lab-net.ts';
export type { LinkFault } from './lab-net.ts';
export type { HostOptions } from './host.ts';
export { Switch } from './switch.ts';
export { describeIcmpError } from './icmp-errors.ts';
export type { WireFrame, FrameSink } from './lab-net.ts';
export type { ImpairmentOptions } from './impairment.ts';
export { impair } from './impairment.ts';
