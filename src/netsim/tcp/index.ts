// TCP for virtual hosts: what labs and other layers import.

export { TcpStack, type TcpConnectOptions, type TcpListenOptions, type TcpHost, type TcpTableRow } from './stack.ts';
export { VirtualTcpSocket, type TcpStateChange, type VirtualTcpSocketEvents } from './socket.ts';
export { VirtualTcpServer } from './server.ts';
export type { TcpSettings } from './settings.ts';
export type { CongestionEvent, CongestionReason, CongestionState } from './congestion.ts';
export type { TcpConnectionInfo } from './connection.ts';
export type { TcpCounters, TcpStackStats } from './stats.ts';
export type { TcpState } from './state.ts';
export { WEAK_ISN_PER_CONNECTION, WEAK_ISN_PER_SECOND, type IsnMode } from './isn.ts';
export { flagText } from './segment.ts';
