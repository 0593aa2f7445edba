// `netlab craft`: the command lives in src/cli/craft/, one file per concern:
//   schema.ts       the layers, their keys and each field's range
//   values.ts       reading one value (text or JSON) and refusing what its field cannot hold
//   layers.ts       layers from flags or JSON, built with the wire builders
//   packets.ts      encoding the sequence once and timing every copy
//   capture-out.ts  streaming to pcap/pcapng (.gz) in constant memory, or a capture in memory
//   run.ts          writing, reading back and printing
//   command.ts      the yargs command

export { registerCraft } from './craft/command.ts';
export { buildLayer, layersFromArgs, type LayerDesc, type PacketDesc, packetsFromJson, parseSettings } from './craft/layers.ts';
export { type BuiltPacket, buildPackets, type CraftOptions, type CraftPlan } from './craft/packets.ts';
export { runCraft } from './craft/run.ts';
