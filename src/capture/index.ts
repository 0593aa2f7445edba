// The capture layer's public surface.

export * from './types.ts';
export { openCapture, readCapture, parseCapture, type CaptureInfo, type CaptureReader, type ParsedCapture, type OpenCaptureOptions } from './read.ts';
export { CaptureParser } from './parser.ts';
export type { CaptureSection } from './parse-context.ts';
export { CaptureRecordError, type CaptureWarning } from './problems.ts';
export { LINKTYPE, linkTypeName, canonicalLinkType, type LinkTypeName } from './link-types.ts';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.ts';
export { PcapngWriter, type PcapngWriterOptions, type PcapngInterfaceOptions } from './pcapng-writer.ts';
export type { PacketToWrite } from './writer-base.ts';
export { MemorySink, FileSink, type CaptureSink } from './sinks.ts';
export { SECRETS_TYPE } from './pcapng-blocks.ts';
export { PCAP_MAX_CAPLEN } from './pcap-reader.ts';
export { TapRecorder } from './socket-tap.ts';
export type { TapFrame } from './socket-tap.ts';
export { remapPorts } from './port-remap.ts';
