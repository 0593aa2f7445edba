// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"; also IPv6 next-header values): the
// one table of them in netlab. Display names (tshark's value strings) live with the dissector
// (src/dissect/protocols/link-names.ts).

/** IP protocol numbers (also IPv6 next-header values) netlab decodes or builds. */
export const IP_PROTOCOL = {
  HOPOPTS: 0,
  ICMP: 1,
  IGMP: 2,
  IPV4: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NO_NEXT: 59,
  DSTOPTS: 60,
} as const;
